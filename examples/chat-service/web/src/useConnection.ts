// The connection state, for a banner such as "reconnecting…".

import { useSyncExternalStore } from "react";

import type { ConnectionState } from "./transport";
import { useChat } from "./ChatContext";

const idle = (): ConnectionState => "idle";
const never = (): (() => void) => () => undefined;

export function useConnection(): ConnectionState {
  const transport = useChat()?.transport;
  return useSyncExternalStore(
    transport ? (l) => transport.onState(l) : never,
    transport ? () => transport.state : idle,
  );
}
