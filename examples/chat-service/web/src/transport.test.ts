// The transport against a fake socket: the server's side of each exchange
// is played by the test, frame by frame, on fake timers. The browser
// end to end, against the real service, is `e2e/chromium.mjs`.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Envelope, Member } from "./protocol";
import { backoffCeiling, PublishError, readEvents, Transport, type SocketLike, type Token } from "./transport";

class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }

  /** Frames of `type` sent so far. */
  of(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type);
  }
}

const CHANNEL = "room:1";

function message(seq: number, text = `m${seq}`): Envelope {
  return { v: 1, type: "message", channel: CHANNEL, seq, ts: 0, data: { text } };
}

function subscribed(epoch: string, seq: number, presence?: Member[]): object {
  return { type: "subscribed", v: 1, channel: CHANNEL, epoch, seq, ...(presence ? { presence } : {}) };
}

interface Setup {
  transport: Transport;
  sockets: FakeSocket[];
  tokens: string[];
  last(): FakeSocket;
}

function setup(options: { random?: () => number; tokenLifetimeMs?: number } = {}): Setup {
  const sockets: FakeSocket[] = [];
  const tokens: string[] = [];
  const transport = new Transport({
    url: "http://service.test",
    token: async (): Promise<Token> => {
      const token = `t${tokens.length + 1}`;
      tokens.push(token);
      return { token, expiresAt: Date.now() + (options.tokenLifetimeMs ?? 3_600_000) };
    },
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
    refreshBeforeMs: 60_000,
    random: options.random ?? (() => 0.5),
    socket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
  });
  return { transport, sockets, tokens, last: () => sockets[sockets.length - 1]! };
}

/** Lets the token promise settle and the socket be created. */
async function settle(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("reconnecting", () => {
  it("waits a random time below an exponentially growing, capped ceiling", async () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffCeiling(n, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000, 1_000]);

    const { transport, sockets } = setup({ random: () => 0.5 });
    transport.connect();
    await settle();
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url).toBe("ws://service.test/ws");
    // Half of each ceiling, as the jitter here always draws 0.5.
    for (const delay of [50, 100, 200, 400, 500, 500]) {
      const before = sockets.length;
      sockets[before - 1]!.drop();
      expect(transport.state).toBe("reconnecting");
      await settle(delay - 1);
      expect(sockets).toHaveLength(before);
      await settle(1);
      expect(sockets).toHaveLength(before + 1);
    }
    // A connection that opens resets the schedule.
    sockets[sockets.length - 1]!.open();
    expect(transport.state).toBe("open");
    sockets[sockets.length - 1]!.drop();
    const before = sockets.length;
    await settle(50);
    expect(sockets).toHaveLength(before + 1);
  });

  it("draws the whole range: full jitter, not a fixed delay", async () => {
    const { transport, sockets } = setup({ random: () => 0 });
    transport.connect();
    await settle();
    sockets[0]!.drop();
    await settle(0);
    expect(sockets).toHaveLength(2);
  });

  it("stops for good on close", async () => {
    const { transport, sockets } = setup();
    const states: string[] = [];
    transport.onState((s) => states.push(s));
    transport.connect();
    await settle();
    sockets[0]!.open();
    transport.close();
    await settle(10_000);
    expect(sockets).toHaveLength(1);
    expect(states).toEqual(["connecting", "open", "closed"]);
  });
});

describe("resuming", () => {
  it("resubscribes from the last seq and delivers each event once", async () => {
    const { transport, sockets, last } = setup();
    const got: number[] = [];
    transport.subscribe(CHANNEL, { onEvent: (e) => got.push(e.seq) });
    transport.connect();
    await settle();
    last().open();
    expect(last().of("subscribe")).toEqual([{ v: 1, type: "subscribe", channel: CHANNEL }]);
    last().receive(subscribed("e1", 0));
    last().receive(message(1));
    last().receive(message(2));
    last().drop();
    await settle(1_000);
    expect(sockets).toHaveLength(2);
    last().open();
    expect(last().of("subscribe")).toEqual([
      { v: 1, type: "subscribe", channel: CHANNEL, since: { epoch: "e1", seq: 2 } },
    ]);
    last().receive(subscribed("e1", 3));
    // A frame published while the subscription was being set up can come twice.
    last().receive(message(2));
    last().receive(message(3));
    expect(got).toEqual([1, 2, 3]);
  });

  it("loads the history the server keeps on first joining", async () => {
    const { transport, last } = setup();
    const got: number[] = [];
    transport.subscribe(CHANNEL, { onEvent: (e) => got.push(e.seq) });
    transport.connect();
    await settle();
    last().open();
    last().receive(subscribed("e1", 2));
    expect(last().of("subscribe").at(-1)).toEqual({
      v: 1,
      type: "subscribe",
      channel: CHANNEL,
      since: { epoch: "e1", seq: 0 },
    });
    last().receive(subscribed("e1", 2));
    last().receive(message(1));
    last().receive(message(2));
    expect(got).toEqual([1, 2]);
  });
});

describe("resync", () => {
  it("refetches a new epoch from its start, dropping live frames until the answer", async () => {
    const { transport, last } = setup();
    const got: string[] = [];
    const gaps: unknown[] = [];
    transport.subscribe(CHANNEL, {
      onEvent: (e) => got.push(`${e.seq}:${(e.data as { text: string }).text}`),
      onGap: (p) => gaps.push(p),
    });
    transport.connect();
    await settle();
    last().open();
    last().receive(subscribed("e1", 0));
    last().receive(message(1, "before"));
    last().drop();
    await settle(1_000);
    last().open();
    // The service restarted: a new epoch, in which two events were published.
    last().receive(subscribed("e2", 2));
    last().receive({ type: "resync", v: 1, channel: CHANNEL, epoch: "e2", seq: 2, reason: "new epoch" });
    expect(last().of("subscribe").at(-1)).toEqual({
      v: 1,
      type: "subscribe",
      channel: CHANNEL,
      since: { epoch: "e2", seq: 0 },
    });
    last().receive(message(3, "live, also in the replay"));
    last().receive(subscribed("e2", 3));
    last().receive(message(1, "a"));
    last().receive(message(2, "b"));
    last().receive(message(3, "live, also in the replay"));
    last().receive(message(4, "c"));
    expect(got).toEqual(["1:before", "1:a", "2:b", "3:live, also in the replay", "4:c"]);
    expect(gaps).toEqual([]);
  });

  it("asks again from its own position, and reports a gap the server cannot fill", async () => {
    const { transport, last } = setup();
    const got: number[] = [];
    const gaps: unknown[] = [];
    transport.subscribe(CHANNEL, { onEvent: (e) => got.push(e.seq), onGap: (p, why) => gaps.push([p, why]) }, { history: false });
    transport.connect();
    await settle();
    last().open();
    last().receive(subscribed("e1", 10));
    last().receive(message(11));
    last().receive({ type: "resync", v: 1, channel: CHANNEL, epoch: "e1", seq: 40, reason: "too slow" });
    expect(last().of("subscribe").at(-1)).toEqual({
      v: 1,
      type: "subscribe",
      channel: CHANNEL,
      since: { epoch: "e1", seq: 11 },
    });
    last().receive(subscribed("e1", 45));
    last().receive({ type: "resync", v: 1, channel: CHANNEL, epoch: "e1", seq: 45, reason: "gone" });
    expect(gaps).toEqual([[{ epoch: "e1", seq: 45 }, "gone"]]);
    expect(last().of("subscribe")).toHaveLength(2);
    last().receive(message(45));
    last().receive(message(46));
    expect(got).toEqual([11, 46]);
  });
});

describe("tokens", () => {
  it("sends the token as a subprotocol and fetches a new one before it expires", async () => {
    const { transport, sockets, tokens, last } = setup({ tokenLifetimeMs: 120_000 });
    transport.connect();
    await settle();
    expect(sockets[0]!.protocols).toEqual(["realtime.v1", "bearer.t1"]);
    last().open();
    await settle(59_000);
    expect(tokens).toEqual(["t1"]);
    await settle(1_000);
    expect(tokens).toEqual(["t1", "t2"]);
    last().drop();
    await settle(1_000);
    expect(sockets[1]!.protocols).toEqual(["realtime.v1", "bearer.t2"]);
    expect(tokens).toEqual(["t1", "t2"]);
  });

  it("refreshes a short-lived token halfway, never in a tight loop", async () => {
    const { transport, tokens, last } = setup({ tokenLifetimeMs: 30_000 });
    transport.connect();
    await settle();
    last().open();
    await settle(14_999);
    expect(tokens).toEqual(["t1"]);
    await settle(1);
    expect(tokens).toEqual(["t1", "t2"]);

    const expired = setup({ tokenLifetimeMs: -1_000 });
    expired.transport.connect();
    await settle(60_000);
    // One fetch to connect, then one every 10 s at most.
    expect(expired.tokens.length).toBeLessThanOrEqual(8);
    expired.transport.close();
    transport.close();
  });

  it("hands each fresh token to the open connection, and reconnects when one expires", async () => {
    const { transport, sockets, tokens, last } = setup({ tokenLifetimeMs: 30_000 });
    transport.connect();
    await settle();
    last().open();
    await settle(15_000);
    expect(tokens).toEqual(["t1", "t2"]);
    expect(last().of("refresh")).toEqual([{ v: 1, type: "refresh", data: { token: "t2" } }]);
    last().receive({ type: "refreshed", v: 1, exp: 0 });
    // The server closes a connection whose token ran out: a new token first.
    last().drop(4001);
    await settle(1_000);
    expect(tokens).toEqual(["t1", "t2", "t3"]);
    expect(sockets[1]!.protocols).toEqual(["realtime.v1", "bearer.t3"]);
    transport.close();
  });

  it("gets a new token when the server refuses one", async () => {
    const { transport, sockets, tokens } = setup();
    transport.connect();
    await settle();
    sockets[0]!.drop(1008);
    await settle(1_000);
    expect(tokens).toEqual(["t1", "t2"]);
    expect(sockets[1]!.protocols).toEqual(["realtime.v1", "bearer.t2"]);
  });
});

describe("publishing", () => {
  it("buffers until the channel is joined, then sends in order and resolves on ack", async () => {
    const { transport, last } = setup();
    transport.subscribe(CHANNEL, {}, { history: false });
    const first = transport.publish(CHANNEL, "message", 1, { text: "one" });
    const second = transport.publish(CHANNEL, "message", 1, { text: "two" });
    transport.connect();
    await settle();
    last().open();
    expect(last().of("message")).toEqual([]);
    last().receive(subscribed("e1", 0));
    expect(last().of("message")).toEqual([
      { v: 1, type: "message", channel: CHANNEL, data: { text: "one" }, id: "p1" },
      { v: 1, type: "message", channel: CHANNEL, data: { text: "two" }, id: "p2" },
    ]);
    last().receive({ type: "ack", v: 1, id: "p1", channel: CHANNEL, seq: 1 });
    last().receive({ type: "error", v: 1, id: "p2", channel: CHANNEL, code: "rate_limited", message: "slow down" });
    await expect(first).resolves.toBe(1);
    await expect(second).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("never sends a publish twice: one in flight when the socket drops is rejected", async () => {
    const { transport, last } = setup();
    transport.connect();
    await settle();
    last().open();
    const inFlight = transport.publish(CHANNEL, "message", 1, { text: "maybe" });
    expect(last().of("message")).toHaveLength(1);
    last().drop();
    await expect(inFlight).rejects.toBeInstanceOf(PublishError);
    const later = transport.publish(CHANNEL, "message", 1, { text: "later" });
    await settle(1_000);
    last().open();
    expect(last().of("message")).toEqual([{ v: 1, type: "message", channel: CHANNEL, data: { text: "later" }, id: "p2" }]);
    last().receive({ type: "ack", v: 1, id: "p2", channel: CHANNEL, seq: 2 });
    await expect(later).resolves.toBe(2);
  });
});

describe("presence", () => {
  it("starts from the list and applies diffs as set operations", async () => {
    const { transport, last } = setup();
    const seen: string[][] = [];
    transport.subscribe(CHANNEL, { onPresence: (m) => seen.push(m.map((x) => x.user)) }, { history: false });
    transport.connect();
    await settle();
    last().open();
    const ada = { client: "c1", user: "ada" };
    const bob = { client: "c2", user: "bob" };
    last().receive(subscribed("e1", 0, [ada]));
    last().receive({ v: 1, type: "presence", channel: CHANNEL, seq: 0, ts: 0, data: { joined: [ada] } });
    last().receive({ v: 1, type: "presence", channel: CHANNEL, seq: 0, ts: 0, data: { joined: [bob] } });
    last().receive({ v: 1, type: "presence", channel: CHANNEL, seq: 0, ts: 0, data: { left: [ada] } });
    expect(seen).toEqual([["ada"], ["ada"], ["ada", "bob"], ["bob"]]);
    expect(transport.presence(CHANNEL)).toEqual([bob]);
  });

  it("keeps members by user where the service sends a reader no client ids", async () => {
    const { transport, last } = setup();
    transport.subscribe(CHANNEL, {}, { history: false });
    transport.connect();
    await settle();
    last().open();
    last().receive(subscribed("e1", 0, [{ user: "ada" }]));
    last().receive({ v: 1, type: "presence", channel: CHANNEL, seq: 0, ts: 0, data: { joined: [{ user: "bob" }] } });
    last().receive({ v: 1, type: "presence", channel: CHANNEL, seq: 0, ts: 0, data: { left: [{ user: "ada" }] } });
    expect(transport.presence(CHANNEL)).toEqual([{ user: "bob" }]);
  });
});

/** A fetch whose SSE streams the test writes to, one per request. */
function fakeSse() {
  const requests: { url: string; headers: Record<string, string>; write: (text: string) => void; end: () => void }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    init.signal?.addEventListener("abort", () => controller.error(new Error("aborted")));
    requests.push({
      url,
      headers: init.headers as Record<string, string>,
      write: (text) => controller.enqueue(encoder.encode(text)),
      end: () => controller.close(),
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

function sseEvent(seq: number, epoch = "e1"): string {
  return `id: ${epoch}:${seq}\ndata: ${JSON.stringify(message(seq))}\n\n`;
}

describe("server-sent events", () => {
  it("streams a read-only channel, resumes with Last-Event-ID and refetches a new epoch", async () => {
    const sse = fakeSse();
    const transport = new Transport({
      url: "http://service.test",
      token: async () => ({ token: "t1", expiresAt: Date.now() + 3_600_000 }),
      backoffBaseMs: 100,
      random: () => 0.5,
      fetch: sse.fetch,
      socket: () => {
        throw new Error("an SSE subscription opens no socket");
      },
    });
    const got: number[] = [];
    transport.subscribe(CHANNEL, { onEvent: (e) => got.push(e.seq) }, { via: "sse", history: false });
    await settle();
    expect(sse.requests).toHaveLength(1);
    const first = sse.requests[0]!;
    expect(first.url).toBe("http://service.test/sse?channel=room%3A1");
    expect(first.headers).toEqual({ authorization: "Bearer t1", accept: "text/event-stream" });
    first.write(sseEvent(1) + ": keep-alive\n\n" + sseEvent(2));
    await settle();
    first.end();
    await settle(50);
    expect(sse.requests).toHaveLength(2);
    const second = sse.requests[1]!;
    expect(second.headers["last-event-id"]).toBe("e1:2");
    second.write(sseEvent(2) + sseEvent(3));
    // The service restarted under a proxy: a new epoch begins.
    second.write(`event: resync\ndata: ${JSON.stringify({ type: "resync", v: 1, channel: CHANNEL, epoch: "e2", seq: 1, reason: "new epoch" })}\n\n`);
    await settle();
    expect(sse.requests).toHaveLength(3);
    expect(sse.requests[2]!.headers["last-event-id"]).toBe("e2:0");
    sse.requests[2]!.write(sseEvent(1, "e2"));
    await settle();
    expect(got).toEqual([1, 2, 3, 1]);
    transport.close();
  });

  it("reopens a stream that falls silent, and when the WebSocket drops", async () => {
    const sse = fakeSse();
    const sockets: FakeSocket[] = [];
    const transport = new Transport({
      url: "http://service.test",
      token: async () => ({ token: "t1", expiresAt: Date.now() + 3_600_000 }),
      backoffBaseMs: 100,
      random: () => 0.5,
      sseIdleMs: 10_000,
      fetch: sse.fetch,
      socket: (url, protocols) => {
        const s = new FakeSocket(url, protocols);
        sockets.push(s);
        return s;
      },
    });
    transport.subscribe(CHANNEL, {}, { via: "sse", history: false });
    transport.connect();
    await settle();
    sockets[0]!.open();
    sse.requests[0]!.write(sseEvent(1));
    await settle(9_000);
    // A heartbeat comment keeps it alive.
    sse.requests[0]!.write(": keep-alive\n\n");
    await settle(9_000);
    expect(sse.requests).toHaveLength(1);
    await settle(1_100);
    await settle(100);
    expect(sse.requests).toHaveLength(2);
    expect(sse.requests[1]!.headers["last-event-id"]).toBe("e1:1");
    sse.requests[1]!.write(sseEvent(2));
    await settle();
    sockets[0]!.drop();
    await settle(100);
    expect(sse.requests).toHaveLength(3);
    expect(sse.requests[2]!.headers["last-event-id"]).toBe("e1:2");
    transport.close();
  });

  it("loads the history on first joining by asking from no epoch", async () => {
    const sse = fakeSse();
    const transport = new Transport({
      url: "http://service.test",
      token: async () => ({ token: "t1", expiresAt: Date.now() + 3_600_000 }),
      fetch: sse.fetch,
    });
    const got: number[] = [];
    transport.subscribe(CHANNEL, { onEvent: (e) => got.push(e.seq) }, { via: "sse" });
    await settle();
    expect(sse.requests[0]!.headers["last-event-id"]).toBe(":0");
    sse.requests[0]!.write(`event: resync\ndata: ${JSON.stringify({ type: "resync", v: 1, channel: CHANNEL, epoch: "e1", seq: 2, reason: "history does not reach back that far" })}\n\n`);
    await settle();
    expect(sse.requests[1]!.headers["last-event-id"]).toBe("e1:0");
    sse.requests[1]!.write(sseEvent(1) + sseEvent(2));
    await settle();
    expect(got).toEqual([1, 2]);
    transport.close();
  });

  it("reads events, ids and comments split across chunks", async () => {
    const text = ': keep-alive\n\nid: e1:1\ndata: {"a":1}\n\nevent: resync\ndata: {"b":\ndata: 2}\n\n';
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 20));
        c.enqueue(bytes.slice(20));
        c.close();
      },
    });
    const got: [string, string, string | null][] = [];
    await readEvents(body, (event, data, id) => got.push([event, data, id]));
    expect(got).toEqual([
      ["message", '{"a":1}', "e1:1"],
      ["resync", '{"b":\n2}', null],
    ]);
  });
});
