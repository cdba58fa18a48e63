import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api, type Conversation, type Message, type Page, type Turn } from '../api.ts';
import { type ConversationEvent, type LiveState, useConversationEvents, type Writing, withDelta } from '../live.ts';
import { Empty, ErrorState, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';

/** Messages and turns follow the event stream; only while it is down do they poll, this often. */
const POLL_MS = 1000;
/**
 * Reads start once the stream is open (or known to be down), so nothing committed in between is
 * missed; then they follow its events, or poll while it is down.
 */
const readsWhen = (live: LiveState) => ({
  enabled: live !== 'connecting',
  refetchInterval: live === 'paused' ? POLL_MS : (false as const),
});

const seconds = (from: string | null, to: string | null) =>
  from && to ? `${((new Date(to).getTime() - new Date(from).getTime()) / 1000).toFixed(1)} s` : '—';

/** Reads the messages after `after`, page by page (the API gives at most 200 at a time). */
async function messagesAfter(id: string, after: number): Promise<Message[]> {
  const read: Message[] = [];
  for (let cursor: string | null = String(after); cursor !== null; ) {
    const page: Page<Message> = await api<Page<Message>>(`/v1/conversations/${id}/messages?after=${cursor}&limit=200`);
    read.push(...page.data);
    cursor = page.next;
  }
  return read;
}

function Messages({ id, live, writing }: { id: string; live: LiveState; writing: Writing[] }) {
  // Messages never change once written: each read fetches only those after the last one shown.
  const known = useRef(new Map<string, Message[]>());
  const messages = useQuery({
    queryKey: ['messages', id],
    queryFn: async (): Promise<Page<Message>> => {
      const shown = known.current.get(id) ?? [];
      const all = [...shown, ...(await messagesAfter(id, shown.at(-1)?.seq ?? 0))];
      known.current.set(id, all);
      return { data: all, next: null };
    },
    ...readsWhen(live),
  });
  return (
    <Loaded query={messages} what="messages">
      {(page) =>
        page.data.length === 0 && writing.length === 0 ? (
          <Empty>No messages yet.</Empty>
        ) : (
          <ol className="messages" aria-live="polite" aria-label="Messages">
            {page.data.map((m) => (
              <li key={m.id} className={`message ${m.role}`}>
                <div className="meta">
                  #{m.seq} {m.role === 'user' ? (m.sender ?? 'user') : 'assistant'} · {when(m.createdAt)}
                </div>
                <div className="content">{m.content}</div>
                {m.rawContent !== null && m.rawContent !== m.content ? (
                  <details>
                    <summary>Raw text (with internal parts)</summary>
                    <pre>{m.rawContent}</pre>
                  </details>
                ) : null}
              </li>
            ))}
            {writing.map((w) => (
              <li key={w.turnId} className="message assistant writing" aria-busy="true">
                <div className="meta">assistant · writing…</div>
                <div className="content">{w.parts.join('')}</div>
              </li>
            ))}
          </ol>
        )
      }
    </Loaded>
  );
}

function Turns({ id, live }: { id: string; live: LiveState }) {
  const turns = useQuery({
    queryKey: ['turns', id],
    queryFn: () => api<Page<Turn>>(`/v1/conversations/${id}/turns?limit=50`),
    ...readsWhen(live),
  });
  return (
    <Loaded query={turns} what="turns">
      {(page) =>
        page.data.length === 0 ? (
          <Empty>No turns yet: a triggering message starts one.</Empty>
        ) : (
          <Table
            caption="Turns, newest first"
            rows={page.data}
            rowKey={(t) => t.id}
            rowAttributes={(t) => ({ 'data-turn-status': t.status })}
            columns={[
              {
                head: 'Turn',
                cell: (t) => (
                  <>
                    <code>{t.id.slice(-8)}</code> {t.kind}
                  </>
                ),
              },
              { head: 'Status', cell: (t) => <span className={`badge ${t.status}`}>{t.status}</span> },
              { head: 'Covers seq', cell: (t) => `${t.covered.afterSeq + 1}–${t.covered.throughSeq}` },
              { head: 'Attempts', cell: (t) => t.attempt },
              { head: 'Usage (in/out)', cell: (t) => (t.usage ? `${t.usage.inputTokens} / ${t.usage.outputTokens}` : '—') },
              { head: 'Queued → started', cell: (t) => seconds(t.createdAt, t.startedAt) },
              { head: 'Ran', cell: (t) => seconds(t.startedAt, t.finishedAt) },
              { head: 'Error', cell: (t) => (t.error ? `${t.error.kind ?? 'error'}: ${t.error.message}` : '—') },
            ]}
          />
        )
      }
    </Loaded>
  );
}

function PostMessage({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const [content, setContent] = useState('');
  const post = useMutation({
    mutationFn: (text: string) =>
      api<Message>(`/v1/conversations/${id}/messages`, {
        method: 'POST',
        body: { content: text },
        headers: { 'idempotency-key': crypto.randomUUID() },
      }),
    onSuccess: async () => {
      setContent('');
      await queryClient.invalidateQueries({ queryKey: ['messages', id] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (content.trim()) post.mutate(content);
  };
  return (
    <form onSubmit={submit} className="post">
      <label htmlFor="message">Message as a user</label>
      <textarea id="message" rows={3} value={content} onChange={(e) => setContent(e.target.value)} maxLength={65536} />
      <button type="submit" disabled={post.isPending}>
        {post.isPending ? 'Sending…' : 'Send'}
      </button>
      {post.error ? <ErrorState error={post.error} /> : null}
    </form>
  );
}

const liveLabel: Record<LiveState, string> = {
  connecting: 'connecting to live updates…',
  live: 'live',
  paused: 'live updates paused — retrying',
};

/** The conversation once it is known to exist: its event stream drives what is read, and when. */
function LiveConversation({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const [writing, setWriting] = useState<Writing[]>([]);
  const shownTurn = (turnId: string) => queryClient.getQueryData<Page<Turn>>(['turns', id])?.data.find((t) => t.id === turnId);
  const lastShownSeq = () => queryClient.getQueryData<Page<Message>>(['messages', id])?.data.at(-1)?.seq ?? 0;
  /** Reads until the event shows: a read already under way when it came may have begun before its commit. */
  const readUntil = async (what: 'messages' | 'turns', shown: () => boolean) => {
    for (let tries = 0; tries < 2 && !shown(); tries++) await queryClient.invalidateQueries({ queryKey: [what, id] });
  };
  const done = (turnId: string | null) => setWriting((w) => w.filter((x) => x.turnId !== turnId));
  const live = useConversationEvents(id, {
    onOpen: () => {
      void queryClient.invalidateQueries({ queryKey: ['messages', id] });
      void queryClient.invalidateQueries({ queryKey: ['turns', id] });
    },
    onEvent: (e: ConversationEvent) => {
      if (e.type === 'message.delta') return setWriting((w) => withDelta(w, e));
      if (e.type === 'message.created') {
        if (e.role === 'assistant') done(e.turnId);
        return void readUntil('messages', () => lastShownSeq() >= e.seq);
      }
      // A new attempt starts its text over; deltas (no stored event) may come before its turn.started.
      if (e.type === 'turn.started') setWriting((w) => w.filter((x) => x.turnId !== e.turnId || x.attempt >= e.attempt));
      else done(e.turnId);
      const status = { 'turn.started': null, 'turn.succeeded': 'succeeded', 'turn.failed': 'failed' }[e.type];
      void readUntil('turns', () => {
        const t = shownTurn(e.turnId);
        return t !== undefined && t.attempt >= e.attempt && (status === null ? t.status !== 'queued' : t.status === status);
      });
    },
  });
  return (
    <>
      <p className={`live ${live}`} role="status" data-live={live}>
        {liveLabel[live]}
      </p>
      <div className="split">
        <section aria-labelledby="msgs">
          <h2 id="msgs">Messages</h2>
          <Messages id={id} live={live} writing={writing} />
          <PostMessage id={id} />
        </section>
        <section aria-labelledby="turns">
          <h2 id="turns">Turn timeline</h2>
          <Turns id={id} live={live} />
        </section>
      </div>
    </>
  );
}

export function ConversationView({ id }: { id: string }) {
  const conversation = useQuery({ queryKey: ['conversation', id], queryFn: () => api<Conversation>(`/v1/conversations/${id}`) });
  return (
    <>
      <p>
        <Link href="/conversations">← Conversations</Link>
      </p>
      <Loaded query={conversation} what="conversation">
        {(c) => (
          <>
            <h1>{c.title || 'Untitled conversation'}</h1>
            <p className="meta">
              <code>{c.id}</code> · external id {c.externalId ?? '—'} · assistant {c.assistantName} ·{' '}
              <Link href={`/tasks?${new URLSearchParams({ conversationId: c.id })}`}>Tasks of this conversation</Link>
            </p>
            <LiveConversation id={id} />
          </>
        )}
      </Loaded>
    </>
  );
}
