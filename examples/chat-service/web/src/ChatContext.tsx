// The state of the `chat-service` connection for a React app: one
// transport per provider, and one store per channel, shared by every hook
// that reads that channel (messages, presence, typing), so a channel is
// subscribed to once however many components show it.
//
// The provider creates the transport in an effect and closes it in the
// cleanup, so React's strict mode (which runs effects twice) and a change
// of `url` or `token` each get a fresh connection; hooks read `null` until
// the first one exists and render their empty state.

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

import { CHANNELS, patternOf, SSE, type Envelope, type Member } from "./protocol";
import { Transport, type SubscribeOptions, type Subscription } from "./transport";
import { tokenEndpoint, type TokenSource } from "./chatService";

/** Events kept per channel: the oldest are dropped beyond this. */
const KEEP = 500;

/** One received event, with a key unique within the store (for React lists). */
export interface Received {
  key: number;
  event: Envelope;
  /** When it arrived, by this client's clock (ms). */
  at: number;
}

/** What the hooks read of one channel, updated as frames arrive. */
export class ChannelStore {
  events: Received[] = [];
  members: Member[] = [];
  /** The latest event of each ephemeral type, e.g. `typing`. */
  latest = new Map<string, Received>();
  gaps = 0;
  private nextKey = 1;
  private readonly listeners = new Set<() => void>();
  private subscription: Subscription | null = null;

  constructor(
    readonly channel: string,
    private readonly transport: Transport,
    options: SubscribeOptions,
  ) {
    this.subscription = transport.subscribe(
      channel,
      {
        onEvent: (event) => {
          const received = { key: this.nextKey++, event, at: Date.now() };
          if (event.seq > 0) {
            this.events = [...this.events, received].slice(-KEEP);
          } else {
            this.latest = new Map(this.latest).set(event.type, received);
          }
          this.emit();
        },
        onPresence: (members) => {
          this.members = members;
          this.emit();
        },
        onGap: () => {
          this.gaps++;
          this.emit();
        },
      },
      options,
    );
  }

  /** For `useSyncExternalStore`. */
  readonly listen = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  publish(type: string, v: number, data: unknown): Promise<number> {
    return this.transport.publish(this.channel, type, v, data);
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

/** The transport and its channel stores. */
export class ChatClient {
  private readonly stores = new Map<string, ChannelStore>();
  private readonly refs = new Map<string, number>();

  /** `role` is the role in this client's tokens, when the app knows it. */
  constructor(
    readonly transport: Transport,
    readonly role?: string,
  ) {}

  /**
   * The store of `channel`, subscribing on first use: over Server-Sent
   * Events when the plan does not let `role` publish there (and the service
   * streams them), else over the WebSocket.
   */
  channel(channel: string, options: SubscribeOptions = {}): ChannelStore {
    let store = this.stores.get(channel);
    if (!store) {
      const pattern = patternOf(channel);
      const publishers: readonly string[] = pattern ? CHANNELS[pattern].publish : [];
      const readOnly = SSE && this.role !== undefined && !publishers.includes(this.role);
      store = new ChannelStore(channel, this.transport, { via: readOnly ? "sse" : "ws", ...options });
      this.stores.set(channel, store);
    }
    return store;
  }

  /**
   * Keeps `channel` subscribed until the returned release is called; the
   * last release unsubscribes (and so leaves its presence), unless the
   * channel is retained again right away, as a re-render does.
   */
  retain(channel: string): () => void {
    this.refs.set(channel, (this.refs.get(channel) ?? 0) + 1);
    return () => {
      const left = (this.refs.get(channel) ?? 1) - 1;
      this.refs.set(channel, left);
      if (left > 0) return;
      setTimeout(() => {
        if (this.refs.get(channel) !== 0) return;
        this.refs.delete(channel);
        this.stores.get(channel)?.close();
        this.stores.delete(channel);
      }, 0);
    };
  }

  close(): void {
    for (const store of this.stores.values()) store.close();
    this.stores.clear();
    this.transport.close();
  }
}

export const ChatContext = createContext<ChatClient | null>(null);

export interface ChatProviderProps {
  /** The service's base URL; the page's own origin by default (behind a proxy). */
  url?: string;
  /** Where tokens come from; `tokenEndpoint()` (`GET /token`) by default. */
  token?: TokenSource;
  /** The role in the tokens: channels it may not publish to are streamed over SSE. */
  role?: string;
  children?: ReactNode;
}

const defaultToken = tokenEndpoint();

export function ChatProvider({ url, token = defaultToken, role, children }: ChatProviderProps) {
  const [client, setClient] = useState<ChatClient | null>(null);
  useEffect(() => {
    const base = url ?? window.location.origin;
    const created = new ChatClient(new Transport({ url: base, token }), role);
    created.transport.connect();
    setClient(created);
    return () => {
      created.close();
      setClient((current) => (current === created ? null : current));
    };
  }, [url, token, role]);
  return <ChatContext.Provider value={client}>{children}</ChatContext.Provider>;
}

/** The client of the nearest provider; `null` until it has connected once. */
export function useChat(): ChatClient | null {
  return useContext(ChatContext);
}

/** The store of `channel`, subscribed while a component using it is mounted. */
export function useChannelStore(channel: string): ChannelStore | undefined {
  const client = useChat();
  useEffect(() => client?.retain(channel), [client, channel]);
  return client?.channel(channel);
}
