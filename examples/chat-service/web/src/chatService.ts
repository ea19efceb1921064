// Where the client's tokens come from: the one API call the client makes
// besides the socket. The service verifies tokens but does not issue them
// (that is the app's login), so the source is a function the app supplies;
// `tokenEndpoint()` is the default, for an endpoint that answers
// `{"token": "<JWT>"}` (optionally with `"expiresAt"` in ms; else the
// token's own `exp` is read). The demo's development server serves one at
// `/token` (see `vite.config.ts`).

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
