// Where the client's tokens come from: the one API call the client makes
// besides the socket. The service verifies tokens but does not issue them
// (that is the app's login), so the source is a function the app supplies;
// `tokenEndpoint()` is the default, for an endpoint that answers
// `{"token": "<JWT>"}` (optionally with `"expiresAt"` in ms; else the
// token's own `exp` is read). The demo's development server serves one at
// `/token` (see `vite.config.ts`).
//
// The service's own HTTP routes are called here too, with the same token
// (`Transport.request` adds it): `POST /livekit/token` issues a LiveKit
// room token from the role's grant; `/avatars/...` starts, drives and
// stops an avatar session, or answers with the avatar's fallback.

import type { AvatarName, Fallback, RoomName } from "./protocol";
import type { Token } from "./transport";

/** Gets a fresh token; the transport calls it before the current one expires. */
export type TokenSource = () => Promise<Token>;

/** A token source that asks `url` (default `/token`) with `fetch`. */
export function tokenEndpoint(url = "/token", init: RequestInit = {}): TokenSource {
  return async () => {
    const res = await fetch(url, { credentials: "same-origin", ...init });
    if (!res.ok) {
      throw new Error(`the token endpoint ${url} answered ${res.status}`);
    }
    const body = (await res.json()) as { token?: unknown; expiresAt?: unknown };
    if (typeof body.token !== "string") {
      throw new Error(`the token endpoint ${url} sent no "token"`);
    }
    const expiresAt = typeof body.expiresAt === "number" ? body.expiresAt : expiryOf(body.token);
    return { token: body.token, expiresAt };
  };
}

/** The `exp` claim of a JWT, in ms; an hour from now when it has none. */
export function expiryOf(jwt: string): number {
  try {
    const payload = jwt.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    if (typeof exp === "number") return exp * 1000;
  } catch {
    // Not a JWT we can read: fall through to the default.
  }
  return Date.now() + 3_600_000;
}

/** What the service's routes are called through: `Transport` (it adds the token). */
export interface Api {
  request(path: string, init?: RequestInit): Promise<Response>;
}

/** A route's JSON answer, or an error naming the route and the service's reason. */
async function answer<T>(res: Response, route: string): Promise<T> {
  if (!res.ok) {
    const why = (await res.text().catch(() => "")).trim();
    throw new Error(`${route} answered ${res.status}${why ? `: ${why}` : ""}`);
  }
  return (await res.json()) as T;
}

function post(body?: unknown): RequestInit {
  return body === undefined
    ? { method: "POST" }
    : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** The service's route that issues LiveKit room tokens. */
export const ROOM_TOKEN_ROUTE = "/livekit/token";

/** A LiveKit room token, for `Room.connect(url, token)`. */
export interface RoomToken {
  /** The LiveKit server to connect to. */
  url: string;
  token: string;
  room: string;
  /** The caller's identity in the room: its `sub`. */
  identity: string;
  /** Seconds the token is valid for joining. */
  expiresIn: number;
}

/** Asks the service for a token to join `room`, with the grant the plan gives the caller's role. */
export async function roomToken(api: Api, room: RoomName): Promise<RoomToken> {
  const res = await api.request(ROOM_TOKEN_ROUTE, post({ room }));
  const body = await answer<{ url: string; token: string; room: string; identity: string; expires_in: number }>(
    res,
    `POST ${ROOM_TOKEN_ROUTE}`,
  );
  return { url: body.url, token: body.token, room: body.room, identity: body.identity, expiresIn: body.expires_in };
}

/** The route that starts a session of avatar `name`. */
export const avatarSessionsRoute = (name: AvatarName): string => `/avatars/${encodeURIComponent(name)}/sessions`;

/** The avatar's stream (a LiveKit room the provider hosts), or the fallback and why. */
export type AvatarStart =
  | { mode: "avatar"; session_id: string; url: string; access_token: string }
  | { mode: "fallback"; fallback: Fallback; reason: string };

/** A line spoken by the avatar, or the fallback to deliver `text` with and why. */
export type Spoken =
  | { mode: "avatar"; task_id: string }
  | { mode: "fallback"; fallback: Fallback; text: string; reason: string };

export async function startAvatar(api: Api, name: AvatarName): Promise<AvatarStart> {
  const route = avatarSessionsRoute(name);
  return answer<AvatarStart>(await api.request(route, post()), `POST ${route}`);
}

export async function speak(api: Api, session: string, text: string): Promise<Spoken> {
  const route = `/avatars/sessions/${encodeURIComponent(session)}/task`;
  return answer<Spoken>(await api.request(route, post({ text })), `POST ${route}`);
}

export async function stopAvatar(api: Api, session: string): Promise<void> {
  const route = `/avatars/sessions/${encodeURIComponent(session)}`;
  const res = await api.request(route, { method: "DELETE" });
  // Already gone (closed when its owner left the room) is as good as stopped.
  if (!res.ok && res.status !== 404) await answer<unknown>(res, `DELETE ${route}`);
}
