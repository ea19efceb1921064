// The LiveKit and avatar logic without a LiveKit server. No LiveKit server
// or WebRTC runs here, so the one mock is `livekit-client`'s `Room`
// (`FakeRoom`): it emits the package's own `RoomEvent`s with its own
// enums, and the code under test reads it as it reads a real `Room`. The
// service's routes are answered by a fake `fetch` that records each
// request; "against the service" asks the real one for a room token when
// `SERVICE_URL` is set (the service's `tests/browser.rs` does that).

import { ConnectionQuality, DisconnectReason, RoomEvent, Track, type Room } from "livekit-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AvatarSession, LiveRoom, type Grant } from "./livekit";
import { Transport } from "./transport";
import { ROOM_TOKEN_ROUTE, roomToken } from "./chatService";

type Listener = (...args: unknown[]) => void;

interface FakePublication {
  trackSid: string;
  kind: Track.Kind;
  source: Track.Source;
  isMuted: boolean;
  track?: Track;
}

class FakeParticipant {
  connectionQuality = ConnectionQuality.Unknown;
  readonly trackPublications = new Map<string, FakePublication>();
  constructor(readonly identity: string) {}

  publish(sid: string, kind: Track.Kind, source: Track.Source): void {
    this.trackPublications.set(sid, { trackSid: sid, kind, source, isMuted: false, track: { sid } as unknown as Track });
  }
}

/** Stands in for `livekit-client`'s `Room`: the only mock in this file. */
class FakeRoom {
  static made: FakeRoom[] = [];
  name = "";
  readonly localParticipant = new FakeParticipant("");
  readonly remoteParticipants = new Map<string, FakeParticipant>();
  readonly joins: Grant[] = [];
  disconnects = 0;
  failWith: Error | null = null;
  private readonly listeners = new Map<string, Listener[]>();

  constructor() {
    FakeRoom.made.push(this);
  }

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  removeAllListeners(): this {
    this.listeners.clear();
    return this;
  }

  emit(event: RoomEvent, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }

  async connect(url: string, token: string): Promise<void> {
    this.joins.push({ url, token });
    if (this.failWith) throw this.failWith;
    const claims = JSON.parse(token) as { room: string; identity: string };
    this.name = claims.room;
    (this.localParticipant as { identity: string }).identity = claims.identity;
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
    this.emit(RoomEvent.Disconnected, DisconnectReason.CLIENT_INITIATED);
  }
}

const fakeRoom = (): Room => new FakeRoom() as unknown as Room;
const lastRoom = (): FakeRoom => FakeRoom.made[FakeRoom.made.length - 1]!;

interface Call {
  url: string;
  method: string;
  authorization: string | null;
  body: unknown;
}

/** A `fetch` that records each request and answers with `reply`'s JSON and status. */
function service(reply: (call: Call) => [number, unknown]) {
  const calls: Call[] = [];
  const fetch = async (url: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const call = {
      url: String(url),
      method: init.method ?? "GET",
      authorization: headers.get("authorization"),
      body: typeof init.body === "string" ? JSON.parse(init.body) : null,
    };
    calls.push(call);
    const [status, body] = reply(call);
    if (status === 204) return new Response(null, { status });
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  const transport = new Transport({
    url: "http://service.test/",
    token: async () => ({ token: "service-jwt", expiresAt: Date.now() + 3_600_000 }),
    fetch,
  });
  return { calls, transport };
}

/** Lets pending promises and due timers run (the transport's token refresh is never due here). */
const settle = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
  FakeRoom.made = [];
});

afterEach(() => {
  vi.useRealTimers();
});

const ROOM = "call:1";

/** The service's answer to `POST /livekit/token`; the token is JSON here, read by `FakeRoom`. */
function tokenFor(n: number) {
  return {
    url: "wss://livekit.test",
    token: JSON.stringify({ room: ROOM, identity: "ada", n }),
    room: ROOM,
    identity: "ada",
    expires_in: 600,
  };
}

it("joins with the room token the service issues on its token route", async () => {
  const { calls, transport } = service(() => [200, tokenFor(1)]);
  const live = new LiveRoom({ grant: () => roomToken(transport, ROOM), room: fakeRoom });
  live.join();
  expect(live.snapshot.status).toBe("connecting");
  await settle();
  expect(calls).toEqual([
    { url: `http://service.test${ROOM_TOKEN_ROUTE}`, method: "POST", authorization: "Bearer service-jwt", body: { room: ROOM } },
  ]);
  expect(ROOM_TOKEN_ROUTE).toBe("/livekit/token");
  expect(lastRoom().joins).toEqual([{ url: "wss://livekit.test", token: tokenFor(1).token }]);
  expect(live.snapshot).toMatchObject({ status: "connected", room: ROOM, identity: "ada", reconnects: 0, error: null });
});

it("says what the service answered when it refuses a token", async () => {
  const { transport } = service(() => [403, "role `guest` may not join"]);
  await expect(roomToken(transport, ROOM)).rejects.toThrow(`POST /livekit/token answered 403`);
});

it("shows tracks, connection quality and reconnection from the room's events", async () => {
  const { transport } = service(() => [200, tokenFor(1)]);
  const live = new LiveRoom({ grant: () => roomToken(transport, ROOM), room: fakeRoom });
  const seen: string[] = [];
  live.listen(() => seen.push(live.snapshot.status));
  live.join();
  await settle();
  const room = lastRoom();

  const bob = new FakeParticipant("bob");
  room.remoteParticipants.set("bob", bob);
  room.emit(RoomEvent.ParticipantConnected, bob);
  expect(live.snapshot.participants).toEqual(["bob"]);
  bob.publish("TR_cam", Track.Kind.Video, Track.Source.Camera);
  room.emit(RoomEvent.TrackSubscribed);
  room.localParticipant.publish("TR_mic", Track.Kind.Audio, Track.Source.Microphone);
  room.emit(RoomEvent.LocalTrackPublished);
  expect(live.snapshot.tracks.map((t) => [t.sid, t.participant, t.local, t.kind, t.source])).toEqual([
    ["TR_mic", "ada", true, Track.Kind.Audio, Track.Source.Microphone],
    ["TR_cam", "bob", false, Track.Kind.Video, Track.Source.Camera],
  ]);

  bob.connectionQuality = ConnectionQuality.Poor;
  room.emit(RoomEvent.ConnectionQualityChanged, ConnectionQuality.Poor, bob);
  expect(live.snapshot.quality).toEqual({ ada: ConnectionQuality.Unknown, bob: ConnectionQuality.Poor });

  room.emit(RoomEvent.Reconnecting);
  expect(live.snapshot.status).toBe("reconnecting");
  room.emit(RoomEvent.Reconnected);
  expect(live.snapshot).toMatchObject({ status: "connected", reconnects: 1 });

  bob.trackPublications.clear();
  room.emit(RoomEvent.TrackUnsubscribed);
  expect(live.snapshot.tracks.map((t) => t.sid)).toEqual(["TR_mic"]);
  expect(seen).toContain("reconnecting");
});

it("joins a lost room again with a fresh token, after backoff", async () => {
  let n = 0;
  const { calls, transport } = service(() => [200, tokenFor(++n)]);
  const live = new LiveRoom({
    grant: () => roomToken(transport, ROOM),
    room: fakeRoom,
    backoffBaseMs: 1_000,
    random: () => 0.5,
  });
  live.join();
  await settle();
  lastRoom().emit(RoomEvent.Disconnected, DisconnectReason.SIGNAL_CLOSE);
  expect(live.snapshot.status).toBe("reconnecting");
  await settle(499);
  expect(FakeRoom.made).toHaveLength(1);
  await settle(1);
  expect(FakeRoom.made).toHaveLength(2);
  expect(calls).toHaveLength(2);
  expect(lastRoom().joins[0]!.token).toBe(tokenFor(2).token);
  expect(live.snapshot).toMatchObject({ status: "connected", reconnects: 1 });
});

it("does not rejoin after leaving or a disconnect a rejoin cannot undo", async () => {
  const { calls, transport } = service(() => [200, tokenFor(1)]);
  const deleted = new LiveRoom({ grant: () => roomToken(transport, ROOM), room: fakeRoom });
  deleted.join();
  await settle();
  lastRoom().emit(RoomEvent.Disconnected, DisconnectReason.ROOM_DELETED);
  await settle();
  expect(deleted.snapshot).toMatchObject({ status: "disconnected", error: "disconnected: ROOM_DELETED" });

  const left = new LiveRoom({ grant: () => roomToken(transport, ROOM), room: fakeRoom });
  left.join();
  await settle();
  await left.leave();
  await settle();
  expect(left.snapshot.status).toBe("closed");
  expect(lastRoom().disconnects).toBe(1);
  expect(FakeRoom.made).toHaveLength(2);
  expect(calls).toHaveLength(2);
});

it("backs off after failed joins and gives up after maxAttempts", async () => {
  const { calls, transport } = service(() => [200, tokenFor(1)]);
  const live = new LiveRoom({
    grant: () => roomToken(transport, ROOM),
    room: () => {
      const room = new FakeRoom();
      room.failWith = new Error("could not establish signal connection");
      return room as unknown as Room;
    },
    maxAttempts: 2,
    random: () => 1,
  });
  live.join();
  await settle(1_000 + 2_000);
  expect(calls).toHaveLength(3);
  expect(live.snapshot).toMatchObject({ status: "disconnected", error: "could not establish signal connection" });
});

/** The environment, without Node's types (the client is typed for the browser). */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

describe.skipIf(!env.SERVICE_URL)("against the service", () => {
  it("gets a room token from the service's own token route", async () => {
    vi.useRealTimers();
    const transport = new Transport({
      url: env.SERVICE_URL!,
      token: async () => ({ token: env.SERVICE_TOKEN!, expiresAt: Date.now() + 600_000 }),
    });
    const issued = await roomToken(transport, ROOM);
    expect(issued.room).toBe(ROOM);
    expect(issued.identity).toBe(env.SERVICE_USER);
    const claims = JSON.parse(atob(issued.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
      sub: string;
      video: { room: string; roomJoin: boolean };
    };
    expect(claims).toMatchObject({ sub: env.SERVICE_USER, video: { room: ROOM, roomJoin: true } });
  });
});

const AVATAR = "host";

describe("avatar sessions", () => {
  it("take the fallback the service reports when the avatar is unavailable", async () => {
    const { calls, transport } = service(() => [200, { mode: "fallback", fallback: "audio_only", reason: "HEYGEN_API_KEY is not set" }]);
    const avatar = new AvatarSession(transport, AVATAR);
    await avatar.start();
    expect(calls.map((c) => [c.method, c.url])).toEqual([["POST", `http://service.test/avatars/${AVATAR}/sessions`]]);
    expect(avatar.snapshot).toMatchObject({
      status: "fallback",
      fallback: "audio_only",
      reason: "HEYGEN_API_KEY is not set",
      session: null,
    });
    const spoken = await avatar.say("welcome");
    expect(spoken).toEqual({ mode: "fallback", fallback: "audio_only", text: "welcome", reason: "HEYGEN_API_KEY is not set" });
    expect(avatar.snapshot.line).toBe("welcome");
    expect(calls).toHaveLength(1);
  });

  it("stream from the provider's room, fall back per line and stop", async () => {
    const answers: [number, unknown][] = [
      [200, { mode: "avatar", session_id: "S1", url: "wss://avatar.test", access_token: JSON.stringify({ room: "avatar-room", identity: "viewer" }) }],
      [200, { mode: "fallback", fallback: "audio_only", text: "one", reason: "HeyGen `streaming.task` failed: HTTP 500" }],
      [200, { mode: "avatar", task_id: "T2" }],
      [204, null],
    ];
    const { calls, transport } = service(() => answers.shift()!);
    const avatar = new AvatarSession(transport, AVATAR, { room: (grant) => new LiveRoom({ grant: async () => grant, room: fakeRoom }) });
    await avatar.start();
    await settle();
    const room = lastRoom();
    expect(room.joins).toEqual([{ url: "wss://avatar.test", token: JSON.stringify({ room: "avatar-room", identity: "viewer" }) }]);
    const host = new FakeParticipant("heygen");
    room.remoteParticipants.set("heygen", host);
    host.publish("TR_face", Track.Kind.Video, Track.Source.Camera);
    room.emit(RoomEvent.TrackSubscribed);
    expect(avatar.snapshot).toMatchObject({ status: "live", session: "S1" });
    expect(avatar.snapshot.stream.map((t) => [t.sid, t.participant])).toEqual([["TR_face", "heygen"]]);

    await avatar.say("one");
    expect(avatar.snapshot).toMatchObject({ status: "fallback", reason: "HeyGen `streaming.task` failed: HTTP 500", line: "one" });
    expect(await avatar.say("two")).toEqual({ mode: "avatar", task_id: "T2" });
    expect(avatar.snapshot).toMatchObject({ status: "live", reason: null });

    await avatar.stop();
    expect(calls.map((c) => [c.method, c.url.replace("http://service.test", ""), c.body])).toEqual([
      ["POST", `/avatars/${AVATAR}/sessions`, null],
      ["POST", "/avatars/sessions/S1/task", { text: "one" }],
      ["POST", "/avatars/sessions/S1/task", { text: "two" }],
      ["DELETE", "/avatars/sessions/S1", null],
    ]);
    expect(room.disconnects).toBe(1);
    expect(avatar.snapshot).toMatchObject({ status: "stopped", stream: [] });
  });
});
