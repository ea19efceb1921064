// Whether someone else is typing on a channel, from the plan's ephemeral
// `typing` event on `room:{id}`, and a throttled `setTyping`.
//
// Events carry no sender, so this client tells its own echo apart by time:
// an event within `ECHO_MS` of one it sent is taken as its own. An
// indicator not refreshed for `STALE_MS` goes out by itself, since a
// closed tab never sends `active: false`.

import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";

import { useChannelStore, type Received } from "./ChatContext";

const STALE_MS = 5_000;
const ECHO_MS = 1_000;
const THROTTLE_MS = 2_000;
const never = (): (() => void) => () => undefined;

export interface Typing {
  /** Someone else is typing. */
  typing: boolean;
  /** Say whether this user is typing; repeated `true`s are throttled. */
  setTyping: (active: boolean) => void;
}

export function useTyping(channel: string): Typing {
  const store = useChannelStore(channel);
  const latest = useSyncExternalStore<Received | undefined>(
    store ? store.listen : never,
    () => store?.latest.get("typing"),
  );
  const sentAt = useRef(0);
  const sentActive = useRef(false);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const theirs = latest !== undefined && Math.abs(latest.at - sentAt.current) > ECHO_MS;
  const active = (latest?.event.data as { active?: boolean } | undefined)?.active === true;
  const typing = theirs && active && now - latest.at < STALE_MS;
  const setTyping = useCallback(
    (value: boolean) => {
      const t = Date.now();
      if (!store || (value && sentActive.current && t - sentAt.current < THROTTLE_MS)) return;
      if (!value && !sentActive.current) return;
      sentAt.current = t;
      sentActive.current = value;
      store.publish("typing", 1, { active: value }).catch(() => undefined);
    },
    [store],
  );
  return { typing, setTyping };
}
