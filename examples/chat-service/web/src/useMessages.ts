// The lasting events of a channel (those kept in history), in order, each
// once, and a typed `send`. Events before the provider connected come from
// the history the service keeps (`history` in the plan).

import { useCallback, useMemo, useSyncExternalStore } from "react";

import { CHANNELS, patternOf, type EventOf, type EventsOf } from "./protocol";
import { useChannelStore, type Received } from "./ChatContext";

const none: Received[] = [];
const never = (): (() => void) => () => undefined;

/** The names of the events of channel `N`. */
export type EventName<N extends string> = keyof EventsOf<N> & string;

export interface Messages<N extends string, K extends EventName<N>> {
  /** Events of `type` (every lasting type when none was given), oldest first. */
  messages: { key: number; event: Extract<EventOf<N>, { type: K }> }[];
  /** Gaps the service could not fill since the page loaded. */
  gaps: number;
  /** Publishes; resolves with the event's `seq` once the service has it. */
  send: <T extends EventName<N>>(type: T, data: EventsOf<N>[T] extends { data: infer D } ? D : never) => Promise<number>;
}

export function useMessages<N extends string, K extends EventName<N> = EventName<N>>(
  channel: N,
  type?: K,
): Messages<N, K> {
  const store = useChannelStore(channel);
  const events = useSyncExternalStore(store ? store.listen : never, () => store?.events ?? none);
  const gaps = useSyncExternalStore(store ? store.listen : never, () => store?.gaps ?? 0);
  const messages = useMemo(
    () => events.filter((r) => type === undefined || r.event.type === type) as unknown as Messages<N, K>["messages"],
    [events, type],
  );
  const send = useCallback<Messages<N, K>["send"]>(
    (kind, data) => {
      const pattern = patternOf(channel);
      const versions: Record<string, number> = pattern ? CHANNELS[pattern].versions : {};
      if (!store) return Promise.reject(new Error("not connected yet"));
      return store.publish(kind, versions[kind] ?? 1, data);
    },
    [store, channel],
  );
  return { messages, gaps, send };
}
