// End to end in headless Chromium against the real service: two pages join
// `room:1`, exchange messages and see each other online (and a third,
// which may only read, follows over Server-Sent Events); the service is
// killed and restarted, and every page must come back with every message
// exactly once, including one sent while the service was down.
//
// Run by `tests/browser.rs` (which builds the service and passes its path):
//   SERVICE_BIN=../target/debug/chat-service node e2e/chromium.mjs
// Uses the system's Chromium (CHROMIUM, default /usr/bin/chromium); never
// downloads a browser. Leaves a screenshot in ARTEFACTS (default test-results/).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const web = fileURLToPath(new URL("..", import.meta.url));
const bin = process.env.SERVICE_BIN;
if (!bin) {
  console.error("set SERVICE_BIN to the built service binary");
  process.exit(2);
}
const vite = join(web, "node_modules", "vite", "bin", "vite.js");
const artefacts = process.env.ARTEFACTS ?? join(web, "test-results");
const secret = "e2e-secret";
const channel = "room:1";
const timeout = 20_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `url` answers, or rejects after `ms`. */
async function waitFor(url, ms = timeout) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const children = [];
/** What the children wrote; shown only when the test fails. */
const output = [];
function start(command, args, env) {
  const child = spawn(command, args, { cwd: web, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk) => output.push(chunk));
  child.stderr.on("data", (chunk) => output.push(chunk));
  children.push(child);
  return child;
}

function stop(child, signal = "SIGTERM") {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

const servicePort = await freePort();
const webPort = await freePort();
const serviceEnv = {
  JWT_SECRET: secret,
  BIND_ADDR: `127.0.0.1:${servicePort}`,
  REDIS_URL: "",
  RUST_LOG: process.env.RUST_LOG ?? "info",
};
const startService = () => start(bin, [], serviceEnv);

const profile = mkdtempSync(join(tmpdir(), "chat-service-chromium-"));
let context;
try {
  const build = spawnSync(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: web, stdio: "inherit" });
  if (build.status !== 0) throw new Error("vite build failed");

  let service = startService();
  await waitFor(`http://127.0.0.1:${servicePort}/healthz`);
  start(process.execPath, [vite, "preview", "--port", String(webPort), "--strictPort", "--host", "127.0.0.1"], {
    SERVICE_URL: `http://127.0.0.1:${servicePort}`,
    JWT_SECRET: secret,
  });
  await waitFor(`http://127.0.0.1:${webPort}/`);

  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const open = async (user, role = "member") => {
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`[${user}] ${e.message}`));
    await page.goto(`http://127.0.0.1:${webPort}/?user=${user}&role=${role}&channel=${encodeURIComponent(channel)}`);
    return page;
  };
  const state = (page, expected) =>
    page.getByTestId("state").filter({ hasText: new RegExp(`^${expected}$`) }).waitFor({ timeout });
  const online = async (page, users) => {
    const list = page.getByTestId("presence").locator("li");
    await page.waitForFunction(
      ({ users }) => {
        const shown = [...document.querySelectorAll('[data-testid="presence"] li')].map((li) => li.textContent);
        return users.every((u) => shown.includes(u));
      },
      { users },
      { timeout },
    );
    return list.allTextContents();
  };
  const messages = (page, count) =>
    page
      .waitForFunction(
        (n) => document.querySelectorAll('[data-testid="messages"] li').length >= n,
        count,
        { timeout },
      )
      .then(() => page.getByTestId("messages").locator("li").allTextContents());
  const send = async (page, text) => {
    await page.getByLabel("message").fill(text);
    await page.getByRole("button", { name: "send" }).click();
  };
  const same = (label, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`${label}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
  };

  const ada = await open("ada");
  const bob = await open("bob");
  // A role that may only read: its page streams the channel over SSE.
  const cy = await open("cy", "guest");
  await state(ada, "open");
  await state(bob, "open");
  await online(ada, ["ada", "bob"]);
  await online(bob, ["ada", "bob"]);
  // Typing shows on the other page, not on one's own.
  await ada.getByLabel("message").fill("hel");
  await bob.getByTestId("typing").filter({ hasText: "someone is typing" }).waitFor({ timeout });
  same("ada's own typing", await ada.getByTestId("typing").textContent(), "\u00a0");
  await send(ada, "hello from ada");
  await messages(bob, 1);
  await send(bob, "hello from bob");
  const before = ["hello from ada", "hello from bob"];
  same("ada before the restart", await messages(ada, 2), before);
  same("bob before the restart", await messages(bob, 2), before);
  same("cy (SSE) before the restart", await messages(cy, 2), before);

  // The service dies without a goodbye; its history and epoch die with it.
  await stop(service, "SIGKILL");
  await state(ada, "reconnecting");
  await state(bob, "reconnecting");
  await send(ada, "sent while down");

  service = startService();
  await waitFor(`http://127.0.0.1:${servicePort}/healthz`);
  await state(ada, "open");
  await state(bob, "open");
  await online(ada, ["ada", "bob"]);
  await online(bob, ["ada", "bob"]);
  await send(bob, "after the restart");
  const after = [...before, "sent while down", "after the restart"];
  const settled = async (page) => {
    await messages(page, after.length);
    // Anything that would arrive twice arrives now.
    await page.waitForTimeout(500);
    return page.getByTestId("messages").locator("li").allTextContents();
  };
  same("ada after the restart", await settled(ada), after);
  same("bob after the restart", await settled(bob), after);
  same("cy (SSE) after the restart", await settled(cy), after);

  mkdirSync(artefacts, { recursive: true });
  await ada.screenshot({ path: join(artefacts, "demo.png"), fullPage: true });
  console.log(`ok: every page resumed with ${after.length} messages; screenshot in ${join(artefacts, "demo.png")}`);
} catch (e) {
  process.stderr.write(Buffer.concat(output));
  console.error(`e2e failed: ${e instanceof Error ? e.stack : e}`);
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => undefined);
  await Promise.all(children.map((c) => stop(c)));
  rmSync(profile, { recursive: true, force: true });
}
