import { useEffect, useRef, useState } from 'react';

// A conversation's event stream (GET /v1/conversations/:id/events) as the conversation page
// reads it: the same-origin EventSource carries the session cookie, and on a dropped connection
// it reconnects by itself with Last-Event-ID. Only when it stays down does the page poll.

/** `connecting` until the stream opens; `paused` once it has been down for PAUSED_AFTER_MS. */
export type LiveState = 'connecting' | 'live' | 'paused';

export type ConversationEvent =
  | { type: 'message.created'; seq: number; role: 'user' | 'assistant'; turnId: string | null }
  | { type: 'turn.started' | 'turn.succeeded' | 'turn.failed'; turnId: string; attempt: number }
  | { type: 'message.delta'; turnId: string; attempt: number; index: number; text: string };

const PAUSED_AFTER_MS = 3000;
/** A stream the server refused (EventSource gives up on a non-200 answer) is opened again after this long. */
const REOPEN_MS = 5000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** The fields the page reads, checked: the stream is the API's, but a view trusts no wire format blindly. */
function parseEvent(type: string, raw: string): ConversationEvent | null {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
  if (!isObject(body)) return null;
  if (type === 'message.delta') {
    const { turnId, attempt, index, text } = body;
    return typeof turnId === 'string' && isInt(attempt) && isInt(index) && typeof text === 'string'
      ? { type, turnId, attempt, index, text }
      : null;
  }
  const data = body.data;
  if (!isObject(data)) return null;
  if (type === 'message.created') {
    const { seq, role, turnId } = data;
    return isInt(seq) && (role === 'user' || role === 'assistant') && (typeof turnId === 'string' || turnId === null)
      ? { type, seq, role, turnId }
      : null;
  }
  if (type === 'turn.started' || type === 'turn.succeeded' || type === 'turn.failed') {
    const { turnId, attempt } = data;
    return typeof turnId === 'string' && isInt(attempt) ? { type, turnId, attempt } : null;
  }
  return null;
}

const eventTypes = ['message.created', 'message.delta', 'turn.started', 'turn.succeeded', 'turn.failed'] as const;

/**
 * Opens the conversation's event stream while the component is mounted. `onOpen` runs on every
 * (re)connection — what happened while the stream was closed is read once then — and `onEvent`
 * for each event.
 */
export function useConversationEvents(
  conversationId: string,
  handlers: { onOpen: () => void; onEvent: (event: ConversationEvent) => void },
): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const current = useRef(handlers);
  current.current = handlers;

  useEffect(() => {
    let source: EventSource | undefined;
    let pauseTimer: ReturnType<typeof setTimeout> | undefined;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      const es = new EventSource(`/v1/conversations/${encodeURIComponent(conversationId)}/events`);
      source = es;
      es.onopen = () => {
        clearTimeout(pauseTimer);
        pauseTimer = undefined;
        setState('live');
        current.current.onOpen();
      };
      es.onerror = () => {
        pauseTimer ??= setTimeout(() => setState('paused'), PAUSED_AFTER_MS);
        if (es.readyState === EventSource.CLOSED) reopenTimer = setTimeout(open, REOPEN_MS);
      };
      for (const type of eventTypes) {
        es.addEventListener(type, (e) => {
          const event = parseEvent(type, (e as MessageEvent<string>).data);
          if (event) current.current.onEvent(event);
          else console.warn(`event stream: a ${type} event of an unexpected shape`, (e as MessageEvent<string>).data);
        });
      }
    };
    open();
    return () => {
      source?.close();
      clearTimeout(pauseTimer);
      clearTimeout(reopenTimer);
    };
  }, [conversationId]);

  return state;
}

/** The text of a turn's output as message.delta events bring it, until the turn's message is stored. */
export interface Writing {
  turnId: string;
  attempt: number;
  parts: string[];
}

/** Folds a delta into the in-progress texts: a later attempt starts over; a repeated index replaces. */
export function withDelta(writing: Writing[], d: { turnId: string; attempt: number; index: number; text: string }): Writing[] {
  const known = writing.find((w) => w.turnId === d.turnId);
  if (known && known.attempt > d.attempt) return writing;
  const parts = known && known.attempt === d.attempt ? [...known.parts] : [];
  parts[d.index] = d.text;
  return [...writing.filter((w) => w.turnId !== d.turnId), { turnId: d.turnId, attempt: d.attempt, parts }];
}
