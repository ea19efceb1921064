// LiveKit rooms on `livekit-client`, with no framework in it: a `LiveRoom`
// joins a room with a token it asks for (from `chatService.ts`), and keeps
// a snapshot of what a UI shows: the connection status, the tracks, each
// participant's connection quality and how often the connection came back.
//
// LiveKit resumes a dropped connection by itself (`reconnecting`, then
// `reconnected`). When it gives up, or the first join fails, `LiveRoom`
// joins again with a fresh token, after exponential backoff with full
// jitter (as the channels' transport does), until `maxAttempts` joins in a
// row have failed. A disconnect that a rejoin cannot undo (the room was
// deleted, the participant removed, the same identity joined elsewhere)
// ends it, with the reason in `error`.
//
// An `AvatarSession` starts an avatar through the service: its stream is a
// LiveKit room of the avatar provider's, joined with a `LiveRoom`; when the
// service reports the avatar unavailable (at the start or for a line), the
// session is in its fallback state and says which fallback to use and why.

import {
  ConnectionQuality,
  DisconnectReason,
  Room,
  RoomEvent,
  Track,
  type Participant,
  type RoomOptions,
} from "livekit-client";

import type { AvatarName, Fallback } from "./protocol";
import { backoffCeiling } from "./transport";
import { speak, startAvatar, stopAvatar, type Api, type Spoken } from "./chatService";

export type RoomStatus = "idle" | "connecting" | "connected" | "reconnecting" | "disconnected" | "closed";

/** One published track, local or remote, that has media. */
export interface TrackView {
  sid: string;
  /** The identity of the participant publishing it. */
  participant: string;
  local: boolean;
  kind: Track.Kind;
  source: Track.Source;
  muted: boolean;
  /** For `track.attach()` to a media element. */
  track: Track;
}

/** What a UI shows of a room; a new object on every change. */
export interface RoomSnapshot {
  status: RoomStatus;
  /** The room and this client's identity in it, once joined. */
  room: string | null;
  identity: string | null;
  /** Every other participant's identity. */
  participants: string[];
  tracks: TrackView[];
  /** Connection quality by identity, this client's own included. */
  quality: Record<string, ConnectionQuality>;
  /** Times the connection was lost and came back, by LiveKit's resume or a rejoin. */
  reconnects: number;
  /** Why the last join failed or the room ended; `null` while all is well. */
  error: string | null;
}

/** Where and how to join: a LiveKit URL and a room token. */
export interface Grant {
  url: string;
  token: string;
}

export interface LiveRoomOptions {
  /** Gets a grant; called for every join, so a rejoin has a fresh token. */
  grant: () => Promise<Grant>;
  /** Makes the `Room`; `new Room(options)` by default. */
  room?: (options: RoomOptions) => Room;
  /** First rejoin delay bound, in ms (default 1 000). */
  backoffBaseMs?: number;
  /** Largest rejoin delay bound, in ms (default 30 000). */
  backoffMaxMs?: number;
  /** Failed joins in a row before giving up (default 8). */
  maxAttempts?: number;
  /** For the jitter; `Math.random` by default. */
  random?: () => number;
}

/** Disconnects a rejoin cannot undo. */
const FINAL: ReadonlySet<DisconnectReason> = new Set([
  DisconnectReason.DUPLICATE_IDENTITY,
  DisconnectReason.PARTICIPANT_REMOVED,
  DisconnectReason.ROOM_DELETED,
  DisconnectReason.ROOM_CLOSED,
  DisconnectReason.USER_REJECTED,
]);

/** A room not joined yet. */
export const ROOM_IDLE: RoomSnapshot = {
  status: "idle",
  room: null,
  identity: null,
  participants: [],
  tracks: [],
  quality: {},
  reconnects: 0,
  error: null,
};

/** The events after which the snapshot is read again from the room. */
const CHANGES = [
  RoomEvent.ParticipantConnected,
  RoomEvent.ParticipantDisconnected,
  RoomEvent.TrackSubscribed,
  RoomEvent.TrackUnsubscribed,
  RoomEvent.TrackMuted,
  RoomEvent.TrackUnmuted,
  RoomEvent.LocalTrackPublished,
  RoomEvent.LocalTrackUnpublished,
  RoomEvent.ConnectionQualityChanged,
] as const;

export class LiveRoom {
  private snap: RoomSnapshot = ROOM_IDLE;
  private current: Room | null = null;
  private attempt = 0;
  private ended = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly opts: Required<LiveRoomOptions>;

  constructor(options: LiveRoomOptions) {
    this.opts = {
      room: (o) => new Room(o),
      backoffBaseMs: 1_000,
      backoffMaxMs: 30_000,
      maxAttempts: 8,
      random: Math.random,
      ...options,
    };
  }

  get snapshot(): RoomSnapshot {
    return this.snap;
  }

  /** The joined `Room`, for what the snapshot does not cover (publishing, say). */
  get room(): Room | null {
    return this.current;
  }

  /** For `useSyncExternalStore`. */
  readonly listen = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Joins; rejoins on its own after a lost connection until `leave`. */
  join(): void {
    if (this.ended || this.current || this.retryTimer !== null) return;
    void this.connect();
  }

  /** Leaves the room for good. */
  async leave(): Promise<void> {
    this.ended = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const room = this.current;
    this.current = null;
    this.update({ status: "closed" });
    if (room) {
      room.removeAllListeners();
      await room.disconnect();
    }
  }

  private async connect(): Promise<void> {
    this.update({ status: this.snap.status === "idle" ? "connecting" : "reconnecting" });
    const room = this.opts.room({ adaptiveStream: true, dynacast: true });
    this.current = room;
    this.wire(room);
    try {
      const grant = await this.opts.grant();
      if (this.current !== room) return;
      await room.connect(grant.url, grant.token);
    } catch (e) {
      if (this.current !== room) return;
      room.removeAllListeners();
      this.current = null;
      this.snap = { ...this.snap, error: e instanceof Error ? e.message : String(e) };
      this.retry();
      return;
    }
    if (this.current !== room) return;
    const rejoined = this.snap.status === "reconnecting";
    this.attempt = 0;
    this.read(room, {
      status: "connected",
      error: null,
      reconnects: this.snap.reconnects + (rejoined ? 1 : 0),
    });
  }

  private wire(room: Room): void {
    for (const event of CHANGES) {
      room.on(event, () => {
        if (this.current === room) this.read(room, {});
      });
    }
    room.on(RoomEvent.Reconnecting, () => this.update({ status: "reconnecting" }));
    room.on(RoomEvent.SignalReconnecting, () => this.update({ status: "reconnecting" }));
    room.on(RoomEvent.Reconnected, () =>
      this.read(room, { status: "connected", reconnects: this.snap.reconnects + 1 }),
    );
    room.on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
      if (this.current !== room) return;
      room.removeAllListeners();
      this.current = null;
      if (this.ended || reason === DisconnectReason.CLIENT_INITIATED) {
        this.update({ status: "closed" });
      } else if (reason !== undefined && FINAL.has(reason)) {
        this.ended = true;
        this.update({ status: "disconnected", tracks: [], participants: [], error: `disconnected: ${DisconnectReason[reason]}` });
      } else {
        this.update({ status: "reconnecting", tracks: [] });
        this.retry();
      }
    });
  }

  private retry(): void {
    if (this.ended) return;
    if (this.attempt >= this.opts.maxAttempts) {
      this.ended = true;
      this.update({ status: "disconnected" });
      return;
    }
    const ceiling = backoffCeiling(this.attempt, this.opts.backoffBaseMs, this.opts.backoffMaxMs);
    this.attempt++;
    this.update({ status: "reconnecting" });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.ended) void this.connect();
    }, Math.floor(this.opts.random() * ceiling));
  }

  /** Reads participants, tracks and quality from `room`, with `patch` on top. */
  private read(room: Room, patch: Partial<RoomSnapshot>): void {
    const everyone: Participant[] = [room.localParticipant, ...room.remoteParticipants.values()];
    const tracks: TrackView[] = [];
    const quality: Record<string, ConnectionQuality> = {};
    for (const p of everyone) {
      quality[p.identity] = p.connectionQuality;
      for (const publication of p.trackPublications.values()) {
        if (!publication.track) continue;
        tracks.push({
          sid: publication.trackSid,
          participant: p.identity,
          local: p === room.localParticipant,
          kind: publication.kind,
          source: publication.source,
          muted: publication.isMuted,
          track: publication.track,
        });
      }
    }
    this.update({
      room: room.name || null,
      identity: room.localParticipant.identity || null,
      participants: [...room.remoteParticipants.values()].map((p) => p.identity),
      tracks,
      quality,
      ...patch,
    });
  }

  private update(patch: Partial<RoomSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }
}

export type AvatarStatus = "idle" | "starting" | "live" | "fallback" | "stopped";

/** What a UI shows of an avatar session; a new object on every change. */
export interface AvatarSnapshot {
  status: AvatarStatus;
  /** The service's session id, while the avatar has one. */
  session: string | null;
  /** The avatar's video and audio, from the provider's room. */
  stream: TrackView[];
  /** The stream's room: status, quality, reconnects. */
  room: RoomSnapshot | null;
  /** In the fallback state: the fallback to use and the service's reason. */
  fallback: Fallback | null;
  reason: string | null;
  /** The last line delivered by the fallback instead of the avatar. */
  line: string | null;
}

/** An avatar not started yet. */
export const AVATAR_IDLE: AvatarSnapshot = {
  status: "idle",
  session: null,
  stream: [],
  room: null,
  fallback: null,
  reason: null,
  line: null,
};

export interface AvatarOptions {
  /** Makes the `LiveRoom` of the avatar's stream (tests give their own `room`). */
  room?: (grant: Grant) => LiveRoom;
}

/** One avatar session of `name`, started through the service. */
export class AvatarSession {
  private snap: AvatarSnapshot = AVATAR_IDLE;
  private live: LiveRoom | null = null;
  private stopped = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly api: Api,
    readonly name: AvatarName,
    private readonly options: AvatarOptions = {},
  ) {}

  get snapshot(): AvatarSnapshot {
    return this.snap;
  }

  readonly listen = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Starts the avatar, or enters the fallback the service names. */
  async start(): Promise<void> {
    if (this.snap.status !== "idle" || this.stopped) return;
    this.update({ status: "starting" });
    let started;
    try {
      started = await startAvatar(this.api, this.name);
    } catch (e) {
      this.update({ status: "idle", reason: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    if (this.stopped) {
      if (started.mode === "avatar") await stopAvatar(this.api, started.session_id);
      return;
    }
    if (started.mode === "fallback") {
      this.update({ status: "fallback", fallback: started.fallback, reason: started.reason });
      return;
    }
    const grant = { url: started.url, token: started.access_token };
    const live = this.options.room?.(grant) ?? new LiveRoom({ grant: async () => grant });
    this.live = live;
    live.listen(() => this.follow(live));
    this.update({ status: "live", session: started.session_id });
    live.join();
  }

  /**
   * Has the avatar say `text`. Without an avatar (the fallback state, or
   * the service answers with the fallback for this line) `text` is kept as
   * `line`, for the app to speak or show as the fallback says.
   */
  async say(text: string): Promise<Spoken> {
    const session = this.snap.session;
    if (session === null) {
      const fallback = this.snap.fallback ?? "text";
      const reason = this.snap.reason ?? "the avatar is not live";
      this.update({ line: text });
      return { mode: "fallback", fallback, text, reason };
    }
    const spoken = await speak(this.api, session, text);
    if (spoken.mode === "fallback") {
      // The session stays: the next line may reach the avatar again.
      this.update({ status: "fallback", fallback: spoken.fallback, reason: spoken.reason, line: text });
    } else if (this.snap.status === "fallback") {
      this.update({ status: "live", reason: null });
    }
    return spoken;
  }

  /** Ends the session and leaves its stream. */
  async stop(): Promise<void> {
    this.stopped = true;
    const session = this.snap.session;
    const live = this.live;
    this.live = null;
    this.update({ status: "stopped", session: null, stream: [] });
    await live?.leave();
    if (session !== null) await stopAvatar(this.api, session);
  }

  private follow(live: LiveRoom): void {
    if (this.live !== live) return;
    const room = live.snapshot;
    const stream = room.tracks.filter((t) => !t.local);
    if (room.status === "disconnected" && this.snap.status === "live") {
      this.update({ room, stream, status: "fallback", reason: room.error ?? "the avatar's stream was lost" });
    } else {
      this.update({ room, stream });
    }
  }

  private update(patch: Partial<AvatarSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }
}
