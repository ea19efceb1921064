// The connection to `chat-service`: one WebSocket shared by every
// subscription, with no framework in it, so any UI (or none) can use it.
//
// Connections are fragile, so the transport assumes they drop:
//
// - It reconnects with exponential backoff and full jitter: the n-th retry
//   waits a random time in [0, min(maxMs, baseMs * 2^n)), so a thousand
//   clients cut off together do not come back together.
// - Each subscription keeps its position (the server's `epoch` and the last
//   `seq` delivered) and resubscribes with it as `since`, so the server
//   replays what was missed. Events are handed on once: a repeat of a `seq`
//   already delivered is dropped.
// - A `resync` means the server cannot fill the gap. Within the same epoch
//   the transport asks once more from its own position; after a new epoch
//   (history was lost, e.g. a restarted single node) it refetches the new
//   epoch's history from its start. If the answer is a `resync` again, the
//   events in between are gone for good: the transport carries on from the
//   position the server names and tells the subscriber (`onGap`).
// - Publishes made while the socket is down, or before the channel is
//   joined, wait in a queue and go out in order once it is. A publish that
//   was sent but not acknowledged when the socket dropped is not sent again
//   (it may have been published): its promise is rejected instead, so
//   nothing is ever published twice.
// - Presence starts from the full list in `subscribed`; diffs after it are
//   applied as set operations, so a diff that overlaps the list is harmless.
// - The token comes from a function (see `chatService.ts`)
//   and is fetched again before it expires, so a reconnect always has a
//   valid one. The server holds an open connection to its token's expiry
//   too: each fresh token is sent in-band (`refresh`), and a connection the
//   server closes with 4001 (token expired) reconnects with a new one. An
//   SSE stream ends with an `expired` event, and reconnects the same way.
//
// Read-only clients may stream a channel over Server-Sent Events instead
// (`via: "sse"`): the same envelopes, resumed with `Last-Event-ID`.

import {
  CLOSE_TOKEN_EXPIRED,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type AckFrame,
  type ClientFrame,
  type Envelope,
  type ErrorFrame,
  type Member,
  type Position,
  type PresenceDiff,
  type ResyncFrame,
  type SubscribedFrame,
} from "./protocol";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** A token and when it expires (milliseconds since the Unix epoch). */
export interface Token {
  token: string;
  expiresAt: number;
}

/** What the transport needs of a WebSocket; the browser's fits. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface TransportOptions {
  /** The service's base URL, e.g. `http://localhost:8080`; `/ws` and `/sse` are added. */
  url: string;
  /** Gets a fresh token; called at start, before expiry and when a token is refused. */
  token: () => Promise<Token>;
  /** First retry delay bound, in ms (default 500). */
  backoffBaseMs?: number;
  /** Largest retry delay bound, in ms (default 30 000). */
  backoffMaxMs?: number;
  /** Fetch a new token this long before the current one expires (default 60 000 ms). */
  refreshBeforeMs?: number;
  /** Opens a socket; the browser's `WebSocket` by default. */
  socket?: (url: string, protocols: string[]) => SocketLike;
  /** For SSE subscriptions and `request`; the global `fetch` by default. */
  fetch?: typeof fetch;
  /** A number in [0, 1), for the jitter; `Math.random` by default. */
  random?: () => number;
  /**
   * An SSE stream silent this long is taken as dead and reopened (default:
   * twice the service's heartbeat, plus 5 s). A proxy may keep a stream
   * open after the service behind it died; the heartbeat comments prove it
   * is alive.
   */
  sseIdleMs?: number;
}

/** What a subscriber hears about its channel. */
export interface Handlers {
  onEvent?: (event: Envelope) => void;
  /** The full member list after every change, and the change. */
  onPresence?: (members: Member[], diff: PresenceDiff | null) => void;
  /** Events between the last one delivered and `position` are lost for good. */
  onGap?: (position: Position, reason: string) => void;
  /** A refusal about this channel (e.g. `forbidden`). */
  onError?: (error: ErrorFrame) => void;
}

export interface SubscribeOptions {
  /** `sse` streams the channel over Server-Sent Events (read-only). */
  via?: "ws" | "sse";
  /** Load the history the server keeps when first joining (default true). */
  history?: boolean;
}

export interface Subscription {
  readonly channel: string;
  unsubscribe(): void;
}

/** A publish the server refused, or that may not have arrived. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly code: ErrorFrame["code"] | "connection_lost" | "closed",
  ) {
    super(message);
    this.name = "PublishError";
  }
}

const OPEN = 1;

/** A token closer than this to its expiry is not used for a new connection. */
const MIN_VALIDITY_MS = 10_000;

interface Sub {
  channel: string;
  handlers: Handlers;
  via: "ws" | "sse";
  history: boolean;
  position: Position | null;
  joined: boolean;
  /** A resubscribe to fill a gap is on its way: drop events until it answers. */
  refetching: boolean;
  /** The refetch was answered with `subscribed`; a `resync` next means the gap is final. */
  answering: boolean;
  members: Map<string, Member>;
  /** For SSE: stops the stream. */
  abort: AbortController | null;
  attempt: number;
  closed: boolean;
}

interface Pending {
  id: string;
  channel: string;
  frame: ClientFrame;
  sent: boolean;
  resolve: (seq: number) => void;
  reject: (error: PublishError) => void;
}

/** The retry delay bound after `attempt` failures: `min(max, base * 2^attempt)`. */
export function backoffCeiling(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
}

export class Transport {
  private readonly opts: Required<Omit<TransportOptions, "socket" | "fetch">> &
    Pick<TransportOptions, "socket" | "fetch">;
  private socket: SocketLike | null = null;
  private current: Token | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private nextId = 1;
  private stateNow: ConnectionState = "idle";
  private readonly subs = new Map<string, Sub>();
  private readonly pending: Pending[] = [];
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();

  constructor(options: TransportOptions) {
    this.opts = {
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      refreshBeforeMs: 60_000,
      random: Math.random,
      sseIdleMs: 35000,
      ...options,
    };
  }

  get state(): ConnectionState {
    return this.stateNow;
  }

  /**
   * Calls one of the service's HTTP routes (`path`, e.g. `/livekit/token`)
   * with a valid token in `Authorization`, through the `fetch` given.
   */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const doFetch = this.opts.fetch ?? fetch.bind(globalThis);
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${await this.token()}`);
    return doFetch(`${this.opts.url.replace(/\/$/, "")}${path}`, { ...init, headers });
  }

  /** Calls `listener` on every change of the connection state; returns the unsubscribe. */
  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Opens the connection (once); it stays up, reconnecting, until `close`. */
  connect(): void {
    if (this.stateNow === "idle") {
      void this.open();
    }
  }

  /** Closes for good: no reconnect, unsent publishes are rejected. */
  close(): void {
    this.setState("closed");
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "closed by the client");
    for (const sub of this.subs.values()) {
      sub.closed = true;
      sub.abort?.abort();
    }
    for (const p of this.pending.splice(0)) {
      p.reject(new PublishError("the transport was closed", "closed"));
    }
  }

  /** The members of a channel with presence, as last heard. */
  presence(channel: string): Member[] {
    return sortedMembers(this.subs.get(channel)?.members);
  }

  /** Subscribes to `channel`; one subscription per channel name. */
  subscribe(channel: string, handlers: Handlers, options: SubscribeOptions = {}): Subscription {
    this.unsubscribe(channel);
    const sub: Sub = {
      channel,
      handlers,
      via: options.via ?? "ws",
      history: options.history ?? true,
      position: null,
      joined: false,
      refetching: false,
      answering: false,
      members: new Map(),
      abort: null,
      attempt: 0,
      closed: false,
    };
    this.subs.set(channel, sub);
    if (sub.via === "sse") {
      void this.stream(sub);
    } else if (this.isOpen()) {
      this.sendSubscribe(sub, null);
    }
    return {
      channel,
      unsubscribe: () => {
        if (this.subs.get(channel) === sub) this.unsubscribe(channel);
      },
    };
  }

  /**
   * Publishes an event; resolves with its `seq` (0 for ephemeral events)
   * once the server acknowledges it. Waits while the socket is down or the
   * channel is not yet joined.
   */
  publish(channel: string, type: string, v: number, data: unknown): Promise<number> {
    if (this.stateNow === "closed") {
      return Promise.reject(new PublishError("the transport was closed", "closed"));
    }
    return new Promise((resolve, reject) => {
      const id = `p${this.nextId++}`;
      const frame: ClientFrame = { v, type, channel, data, id };
      this.pending.push({ id, channel, frame, sent: false, resolve, reject });
      this.flush();
    });
  }

  private unsubscribe(channel: string): void {
    const sub = this.subs.get(channel);
    if (!sub) {
      return;
    }
    sub.closed = true;
    this.subs.delete(channel);
    sub.abort?.abort();
    if (sub.via === "ws" && this.isOpen()) {
      this.send({ v: PROTOCOL_VERSION, type: "unsubscribe", channel });
    }
  }

  private isClosed(): boolean {
    return this.stateNow === "closed";
  }

  private isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN && this.stateNow === "open";
  }

  private setState(state: ConnectionState): void {
    if (this.stateNow !== state) {
      this.stateNow = state;
      for (const listener of this.stateListeners) {
        listener(state);
      }
    }
  }

  private clearTimers(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.refreshTimer = null;
    this.retryTimer = null;
  }

  /** A token that will still be valid when the server checks it, fetching one if need be. */
  private async token(): Promise<string> {
    if (!this.current || this.current.expiresAt - Date.now() <= MIN_VALIDITY_MS) {
      this.current = await this.opts.token();
      this.scheduleRefresh();
    }
    return this.current.token;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (!this.current || this.stateNow === "closed") {
      return;
    }
    // Halfway through a token that lives less than twice `refreshBeforeMs`;
    // never sooner than `MIN_VALIDITY_MS`, so a token that comes back
    // already expired (a skewed clock) cannot start a tight loop.
    const left = this.current.expiresAt - Date.now();
    const wait = Math.max(MIN_VALIDITY_MS, left - Math.min(this.opts.refreshBeforeMs, left / 2));
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.opts.token().then(
        (t) => {
          this.current = t;
          // The open connection would otherwise be closed at the old
          // token's expiry.
          if (this.isOpen()) this.send({ v: PROTOCOL_VERSION, type: "refresh", data: { token: t.token } });
          this.scheduleRefresh();
        },
        // The next connect asks again; until then the current one serves.
        () => undefined,
      );
    }, wait);
  }

  private async open(): Promise<void> {
    this.setState(this.attempt === 0 && this.stateNow === "idle" ? "connecting" : "reconnecting");
    let token: string;
    try {
      token = await this.token();
    } catch {
      this.retry();
      return;
    }
    if (this.stateNow === "closed") {
      return;
    }
    const url = `${this.opts.url.replace(/^http/, "ws").replace(/\/$/, "")}/ws`;
    const make = this.opts.socket ?? ((u: string, p: string[]) => new WebSocket(u, p) as unknown as SocketLike);
    let socket: SocketLike;
    try {
      socket = make(url, [SUBPROTOCOL, `bearer.${token}`]);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setState("open");
      for (const sub of this.subs.values()) {
        if (sub.via === "ws") {
          sub.refetching = false;
          sub.answering = false;
          this.sendSubscribe(sub, sub.position);
        }
      }
      this.flush();
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket && typeof ev.data === "string") {
        this.receive(ev.data);
      }
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.dropped();
      // The WebSocket and the SSE streams reach the same service: when one
      // drops, the others are suspect too (a proxy may hold them open).
      for (const sub of this.subs.values()) {
        if (sub.via === "sse") sub.abort?.abort();
      }
      // A refused token is as good as expired: get a new one first.
      if (ev.code === 1008 || ev.code === CLOSE_TOKEN_EXPIRED) this.current = null;
      this.retry();
    };
    socket.onerror = () => undefined;
  }

  /** The socket is gone: nothing is joined, sent publishes may be lost. */
  private dropped(): void {
    for (const sub of this.subs.values()) {
      if (sub.via === "ws") sub.joined = false;
    }
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      if (p.sent) {
        this.pending.splice(i, 1);
        p.reject(new PublishError("the connection dropped before the server acknowledged it", "connection_lost"));
      }
    }
  }

  private retry(): void {
    if (this.stateNow === "closed") return;
    this.setState("reconnecting");
    const ceiling = backoffCeiling(this.attempt, this.opts.backoffBaseMs, this.opts.backoffMaxMs);
    this.attempt++;
    const delay = Math.floor(this.opts.random() * ceiling);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.open();
    }, delay);
  }

  private send(frame: ClientFrame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private sendSubscribe(sub: Sub, since: Position | null): void {
    sub.joined = false;
    const frame: ClientFrame = since
      ? { v: PROTOCOL_VERSION, type: "subscribe", channel: sub.channel, since }
      : { v: PROTOCOL_VERSION, type: "subscribe", channel: sub.channel };
    this.send(frame);
  }

  /** Sends the publishes whose channel is ready, in order. */
  private flush(): void {
    if (!this.isOpen()) return;
    for (const p of this.pending) {
      if (p.sent) continue;
      const sub = this.subs.get(p.channel);
      if (sub && sub.via === "ws" && !sub.joined) continue;
      p.sent = true;
      this.send(p.frame);
    }
  }

  private receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const frame = parsed as { type?: unknown; channel?: unknown };
    switch (frame.type) {
      case "ack": {
        const ack = parsed as AckFrame;
        const i = this.pending.findIndex((p) => p.id === ack.id);
        if (i >= 0) this.pending.splice(i, 1)[0]!.resolve(ack.seq);
        return;
      }
      case "error": {
        const error = parsed as ErrorFrame;
        const i = error.id === undefined ? -1 : this.pending.findIndex((p) => p.id === error.id);
        if (i >= 0) {
          this.pending.splice(i, 1)[0]!.reject(new PublishError(error.message, error.code));
        } else if (error.channel !== undefined) {
          this.subs.get(error.channel)?.handlers.onError?.(error);
        }
        return;
      }
      case "unsubscribed":
      case "refreshed":
        return;
    }
    const sub = typeof frame.channel === "string" ? this.subs.get(frame.channel) : undefined;
    if (!sub || sub.via !== "ws") return;
    if (frame.type === "subscribed") {
      this.onSubscribed(sub, parsed as SubscribedFrame);
    } else if (frame.type === "resync") {
      this.onResync(sub, parsed as ResyncFrame);
    } else {
      this.onEnvelope(sub, parsed as Envelope);
    }
  }

  private onSubscribed(sub: Sub, frame: SubscribedFrame): void {
    sub.joined = true;
    if (frame.presence) {
      sub.members = new Map(frame.presence.map((m) => [memberKey(m), m]));
      sub.handlers.onPresence?.(sortedMembers(sub.members), null);
    }
    if (sub.refetching) {
      sub.refetching = false;
      sub.answering = true;
    } else if (sub.position === null) {
      sub.position = { epoch: frame.epoch, seq: frame.seq };
      if (sub.history && frame.seq > 0) {
        // Start from the history the server keeps.
        this.refetch(sub, { epoch: frame.epoch, seq: 0 });
      }
    }
    this.flush();
  }

  private onResync(sub: Sub, frame: ResyncFrame): void {
    const named = { epoch: frame.epoch, seq: frame.seq };
    if (sub.refetching) {
      // About the subscription being replaced; its answer is on its way.
      return;
    }
    if (sub.answering) {
      // Asked again and still a gap: those events are gone.
      sub.answering = false;
      sub.position = named;
      sub.handlers.onGap?.(named, frame.reason);
      return;
    }
    const own = sub.position;
    const from = own && own.epoch === frame.epoch && own.seq <= frame.seq ? own : { epoch: frame.epoch, seq: 0 };
    this.refetch(sub, from);
  }

  /** Resubscribes from `from`, dropping events until the answer comes. */
  private refetch(sub: Sub, from: Position): void {
    sub.position = from;
    sub.refetching = true;
    sub.answering = false;
    if (sub.via === "ws") {
      this.sendSubscribe(sub, from);
      // Publishes need not wait for the answer: they are in the replay.
      sub.joined = true;
    } else {
      sub.abort?.abort();
    }
  }

  private onEnvelope(sub: Sub, env: Envelope): void {
    if (sub.refetching) return;
    sub.answering = false;
    if (env.type === "presence") {
      const diff = env.data as PresenceDiff;
      for (const m of diff.joined ?? []) sub.members.set(memberKey(m), m);
      for (const m of diff.left ?? []) sub.members.delete(memberKey(m));
      sub.handlers.onPresence?.(sortedMembers(sub.members), diff);
      return;
    }
    if (env.seq > 0) {
      if (sub.position && env.seq <= sub.position.seq) return;
      sub.position = { epoch: sub.position?.epoch ?? "", seq: env.seq };
    }
    sub.handlers.onEvent?.(env);
  }

  /** Streams an SSE subscription, reconnecting with backoff until it is closed. */
  private async stream(sub: Sub): Promise<void> {
    const doFetch = this.opts.fetch ?? fetch.bind(globalThis);
    while (!sub.closed && !this.isClosed()) {
      const abort = new AbortController();
      sub.abort = abort;
      const answering = sub.refetching;
      let reached = false;
      let idle: ReturnType<typeof setTimeout> | null = null;
      const alive = () => {
        if (idle !== null) clearTimeout(idle);
        idle = setTimeout(() => abort.abort(), this.opts.sseIdleMs);
      };
      try {
        const headers: Record<string, string> = {
          authorization: `Bearer ${await this.token()}`,
          accept: "text/event-stream",
        };
        if (sub.position) {
          headers["last-event-id"] = `${sub.position.epoch}:${sub.position.seq}`;
        } else if (sub.history) {
          // A position in no epoch: the server answers with a `resync`
          // naming the current epoch, and the refetch from its start
          // replays the history it keeps.
          headers["last-event-id"] = ":0";
        }
        const url = `${this.opts.url.replace(/\/$/, "")}/sse?channel=${encodeURIComponent(sub.channel)}`;
        alive();
        const res = await doFetch(url, { headers, signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}`);
        reached = true;
        sub.attempt = 0;
        sub.joined = true;
        sub.refetching = false;
        sub.answering = answering;
        await readEvents(res.body, (event, data, id) => {
          if (event === "resync") {
            this.onResync(sub, JSON.parse(data) as ResyncFrame);
            return;
          }
          if (event === "expired") {
            // The stream ends here; the next one goes with a fresh token.
            this.current = null;
            return;
          }
          const env = JSON.parse(data) as Envelope;
          if (id) {
            const epoch = id.slice(0, id.lastIndexOf(":"));
            if (sub.position?.epoch !== epoch) sub.position = { epoch, seq: 0 };
          }
          this.onEnvelope(sub, env);
        }, alive);
      } catch {
        // Dropped, refused or aborted: try again below.
      }
      if (idle !== null) clearTimeout(idle);
      sub.joined = false;
      if (sub.closed || this.isClosed()) return;
      if (sub.refetching) continue;
      const ceiling = backoffCeiling(reached ? 0 : sub.attempt, this.opts.backoffBaseMs, this.opts.backoffMaxMs);
      sub.attempt++;
      await new Promise((r) => setTimeout(r, Math.floor(this.opts.random() * ceiling)));
    }
  }
}

/** A member's key: its client id, or its user where the service sends none (to readers). */
export function memberKey(m: Member): string {
  return m.client ?? `user:${m.user}`;
}

function sortedMembers(members: Map<string, Member> | undefined): Member[] {
  return [...(members?.values() ?? [])].sort((a, b) => {
    const [ka, kb] = [memberKey(a), memberKey(b)];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Reads a `text/event-stream` body, calling `on` per event and `onChunk` per chunk read. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  on: (event: string, data: string, id: string | null) => void,
  onChunk: () => void = () => undefined,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  let id: string | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onChunk();
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer[nl] === "\r" ? 2 : 1));
      if (line === "") {
        if (data.length > 0) on(event, data.join("\n"), id);
        event = "message";
        data = [];
        id = null;
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
        else if (field === "id") id = value;
      }
    }
  }
}
