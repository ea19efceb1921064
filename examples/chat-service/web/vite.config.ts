// The demo's build and development server.
//
// `npm run dev` (or `npm run preview` after `npm run build`) serves the
// demo page and forwards `/ws` and `/sse`, `/livekit`, `/avatars` to the service at `SERVICE_URL`
// (default http://127.0.0.1:8080), so the page talks to its own origin.
// For development only, it also answers `/token?user=NAME&role=ROLE` with a
// token signed with the service's `JWT_SECRET`: the stand-in for the app's
// real login. Never serve this endpoint in production.

import { createHmac } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

import { defineConfig, type Plugin, type ProxyOptions } from "vite";

const service = process.env.SERVICE_URL ?? "http://127.0.0.1:8080";
const issuer = process.env.JWT_ISSUER ?? "chat.example";
const audience = process.env.JWT_AUDIENCE ?? "";
/** Token lifetime in seconds; short, so the client's refresh is exercised. */
const lifetime = Number(process.env.TOKEN_SECONDS ?? "600");

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** An HS256 JWT with the claims the service reads. */
function sign(secret: string, user: string, role: string): { token: string; expiresAt: number } {
  const exp = Math.floor(Date.now() / 1000) + lifetime;
  const claims: Record<string, unknown> = { sub: user, role, exp };
  if (issuer) claims.iss = issuer;
  if (audience) claims.aud = audience;
  const head = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac("sha256", secret).update(head).digest("base64url");
  return { token: `${head}.${signature}`, expiresAt: exp * 1000 };
}

function devTokens(): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/token") return next();
    const secret = process.env.JWT_SECRET;
    if (!secret) {
      res.statusCode = 500;
      res.end("set JWT_SECRET to the service's secret to get development tokens");
      return;
    }
    const user = url.searchParams.get("user") ?? "dev";
    const role = url.searchParams.get("role") ?? "member";
    res.setHeader("content-type", "application/json");
    res.setHeader("cache-control", "no-store");
    res.end(JSON.stringify(sign(secret, user, role)));
  };
  return {
    name: "dev-tokens",
    configureServer: (server) => void server.middlewares.use(handle),
    configurePreviewServer: (server) => void server.middlewares.use(handle),
  };
}

const proxy: Record<string, ProxyOptions> = {
  "/ws": { target: service, ws: true },
  "/sse": { target: service },
  "/livekit": { target: service },
  "/avatars": { target: service },
};

export default defineConfig({
  plugins: [devTokens()],
  server: { proxy },
  preview: { proxy },
});
