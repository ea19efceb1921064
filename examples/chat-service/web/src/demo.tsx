// The demo page: one channel's message events, who is online and the
// connection state, on the hooks. Open it as `/?user=ada` in one tab and
// `/?user=bob` in another (`?channel=` picks another `room:{id}`).

import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";

import { patternOf, type RoomChannel } from "./protocol";
import { ChatProvider } from "./ChatContext";
import { tokenEndpoint } from "./chatService";
import { useConnection } from "./useConnection";
import { useMessages } from "./useMessages";
import { usePresence } from "./usePresence";
import { useTyping } from "./useTyping";

const params = new URLSearchParams(window.location.search);
const user = params.get("user") ?? "guest-" + Math.random().toString(36).slice(2, 6);
const role = params.get("role") ?? "member";
const channel = pick(params.get("channel"));

/** The `?channel=` asked for, if it is a `room:{id}` channel. */
function pick(name: string | null): RoomChannel {
  return name !== null && patternOf(name) === "room:{id}" ? (name as RoomChannel) : "room:1";
}
const token = tokenEndpoint(`/token?user=${encodeURIComponent(user)}&role=${encodeURIComponent(role)}`);

function Room() {
  const state = useConnection();
  const { messages, gaps, send } = useMessages(channel, "message");
  const members = usePresence(channel);
  const { typing, setTyping } = useTyping(channel);
  const [draft, setDraft] = useState("");
  const [failed, setFailed] = useState<string | null>(null);
  return (
    <main>
      <h1>
        {channel} <small>as {user}</small>
      </h1>
      <p>
        connection: <strong data-testid="state">{state}</strong>
        {gaps > 0 && <span> ({gaps} gap(s): some events were lost)</span>}
      </p>
      <h2>online</h2>
      <ul data-testid="presence">
        {members.map((m) => (
          <li key={m.client ?? m.user}>{m.user}</li>
        ))}
      </ul>
      <h2>message</h2>
      <ol data-testid="messages">
        {messages.map(({ key, event }) => (
          <li key={key}>{event.data.text}</li>
        ))}
      </ol>
      <p data-testid="typing">{typing ? "someone is typing…" : "\u00a0"}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setFailed(null);
          send("message", { text: draft }).catch((err: Error) => setFailed(err.message));
          setDraft("");
          setTyping(false);
        }}
      >
        <input
          aria-label="message"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            setTyping(e.target.value !== "");
          }}
        />
        <button type="submit">send</button>
      </form>
      {failed && <p role="alert">{failed}</p>}
    </main>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ChatProvider token={token} role={role}>
      <Room />
    </ChatProvider>
  </StrictMode>,
);
