export { EventHub, type EventSink, type Subscription } from './event-hub.ts';
export {
  comparePositions,
  headPosition,
  type Position,
  parseNotification,
  positionOf,
  readEvents,
  START,
  type StoredEvent,
} from './read-events.ts';
export { EVENTS_CHANNEL, type EventType, eventTypes, recordEvent } from './record-event.ts';
export { DELTAS_CHANNEL, liveEventTypes, parseTextDelta, type TextDelta, TextDeltaPublisher } from './text-deltas.ts';
