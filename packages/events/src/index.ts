export { type EventSink, EventHub, type Subscription } from './event-hub.ts';
export { comparePositions, type Position, positionOf, readEvents, START, type StoredEvent } from './read-events.ts';
export { DELIVERIES_CHANNEL, EVENTS_CHANNEL, type EventType, eventTypes, recordEvent } from './record-event.ts';
