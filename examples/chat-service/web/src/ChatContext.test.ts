// The per-channel state the React hooks share, without React: one
// subscription per channel, released when the last user lets go.

import { afterEach, beforeEach, expect, it, vi } from "vitest";

import { ChatClient } from "./ChatContext";
import { Transport, type SocketLike } from "./transport";

class Socket implements SocketLike {
  readyState = 0;
  readonly sent: { type: string; channel?: string }[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { type: string });
  }
  close(): void {
    this.readyState = 3;
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

it("subscribes once per channel and unsubscribes after the last release", async () => {
  let socket: Socket | undefined;
  const transport = new Transport({
    url: "http://service.test",
    token: async () => ({ token: "t", expiresAt: Date.now() + 3_600_000 }),
    socket: () => (socket = new Socket()),
  });
  const client = new ChatClient(transport);
  transport.connect();
  await vi.advanceTimersByTimeAsync(0);
  socket!.readyState = 1;
  socket!.onopen?.({});

  const first = client.retain("room:1");
  const second = client.retain("room:1");
  expect(client.channel("room:1")).toBe(client.channel("room:1"));
  expect(socket!.sent.filter((f) => f.type === "subscribe")).toHaveLength(1);

  first();
  await vi.advanceTimersByTimeAsync(0);
  expect(socket!.sent.filter((f) => f.type === "unsubscribe")).toHaveLength(0);
  // A re-render releases and retains again at once: nothing happens.
  second();
  const again = client.retain("room:1");
  await vi.advanceTimersByTimeAsync(0);
  expect(socket!.sent.filter((f) => f.type === "unsubscribe")).toHaveLength(0);

  again();
  await vi.advanceTimersByTimeAsync(0);
  expect(socket!.sent.filter((f) => f.type === "unsubscribe")).toEqual([
    { v: 1, type: "unsubscribe", channel: "room:1" },
  ]);
  client.close();
});
