/**
 * The live channel registry: what the Foxglove WebSocket endpoint advertises. A *source* is
 * anything that streams while it lives (today: a running solve of a plan, plan-channels.ts;
 * tomorrow: a live MPC session, issue 19): it opens with a topic prefix and its topics (name →
 * schema), which are advertised at once; it publishes JSON messages on them, building them only
 * when someone is subscribed (`wants`); it closes, and its channels are withdrawn. The registry
 * knows nothing of plans or of the transport: the endpoint hands it a `ChannelSink` (the
 * FoxgloveServer of @foxglove/ws-protocol satisfies it).
 */
import type { TopicSchema } from './messages.ts';

/** The transport side: advertise / withdraw channels, send a message, report (un)subscriptions. */
export interface ChannelSink {
  addChannel(channel: { topic: string; encoding: string; schemaName: string; schema: string; schemaEncoding?: string }): number;
  removeChannel(id: number): void;
  sendMessage(id: number, timestamp: bigint, payload: Uint8Array<ArrayBuffer>): void;
  on(event: 'subscribe' | 'unsubscribe', listener: (channelId: number) => void): void;
  off(event: 'subscribe' | 'unsubscribe', listener: (channelId: number) => void): void;
}

const enc = new TextEncoder();

/** What the registry needs of a source, whatever its topic names. */
interface OpenSource { readonly prefix: string; channelIds(): number[]; subscribed(channelId: number): void; close(): void }

export class LiveSource<T extends string = string> implements OpenSource {
  #channels: Map<T, number>;
  #closed = false;
  constructor(readonly prefix: string, private registry: LiveChannels, channels: Map<T, number>, private onSubscribe?: (topic: T) => void) {
    this.#channels = channels;
  }

  get closed(): boolean { return this.#closed; }

  /** The full topic name of one of the source's topics. */
  topic(name: T): string { return `${this.prefix}/${name}`; }

  /** Whether anyone is subscribed to the topic (build the message only then). */
  wants(name: T): boolean {
    const id = this.#channels.get(name);
    return !this.#closed && id !== undefined && this.registry.subscribed(id);
  }

  /** Sends a JSON message on the topic to its subscribers (nothing when there are none). */
  publish(name: T, t: bigint, message: unknown): void {
    if (!this.wants(name)) return;
    this.registry.send(this.#channels.get(name)!, t, enc.encode(JSON.stringify(message)));
  }

  /** Called by the registry when a topic gets its first subscriber. */
  subscribed(channelId: number): void {
    for (const [name, id] of this.#channels) if (id === channelId) this.onSubscribe?.(name);
  }

  channelIds(): number[] { return [...this.#channels.values()]; }

  /** Withdraws the source's channels. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.registry.remove(this);
  }
}

export class LiveChannels {
  #sink: ChannelSink;
  #subscribed = new Set<number>();
  #byChannel = new Map<number, OpenSource>();
  #sources = new Map<string, OpenSource>();
  #onSub = (id: number) => { this.#subscribed.add(id); this.#byChannel.get(id)?.subscribed(id); };
  #onUnsub = (id: number) => { this.#subscribed.delete(id); };

  constructor(sink: ChannelSink) {
    this.#sink = sink;
    sink.on('subscribe', this.#onSub);
    sink.on('unsubscribe', this.#onUnsub);
  }

  /**
   * Advertises a source's topics as `<prefix>/<name>` (JSON messages); a source already open
   * under the prefix is closed first. `onSubscribe` runs when a topic gets its first
   * subscriber (e.g. to send what does not change: the robot's geometry).
   */
  open<T extends string>(prefix: string, topics: Record<T, TopicSchema>, onSubscribe?: (topic: T) => void): LiveSource<T> {
    this.#sources.get(prefix)?.close();
    const channels = new Map<T, number>();
    for (const [name, s] of Object.entries(topics) as [T, TopicSchema][]) {
      channels.set(name, this.#sink.addChannel({ topic: `${prefix}/${name}`, encoding: 'json', schemaName: s.name, schema: s.schema, schemaEncoding: s.encoding }));
    }
    const src = new LiveSource<T>(prefix, this, channels, onSubscribe);
    for (const id of channels.values()) this.#byChannel.set(id, src);
    this.#sources.set(prefix, src);
    return src;
  }

  subscribed(channelId: number): boolean { return this.#subscribed.has(channelId); }
  send(channelId: number, t: bigint, payload: Uint8Array<ArrayBuffer>): void { this.#sink.sendMessage(channelId, t, payload); }

  /** Topic prefixes of the open sources. */
  prefixes(): string[] { return [...this.#sources.keys()]; }

  remove(src: OpenSource): void {
    if (this.#sources.get(src.prefix) === src) this.#sources.delete(src.prefix);
    for (const id of src.channelIds()) {
      this.#byChannel.delete(id);
      this.#subscribed.delete(id);
      this.#sink.removeChannel(id);
    }
  }

  /** Closes every source and stops listening to the sink. */
  close(): void {
    for (const s of [...this.#sources.values()]) s.close();
    this.#sink.off('subscribe', this.#onSub);
    this.#sink.off('unsubscribe', this.#onUnsub);
  }
}
