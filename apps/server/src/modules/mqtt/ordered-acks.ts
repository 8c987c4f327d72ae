/**
 * PUBACKs in the order the PUBLISH packets arrived, as MQTT requires, although the messages finish in any order:
 * a finished message waits until every message received before it has finished too.
 */
export class OrderedAcks {
  private readonly waiting: { readonly messageId: number; done: boolean }[] = [];

  constructor(private readonly sendAck: (messageId: number) => void) {}

  /** Call on receipt; call the returned function once the message is handled. */
  receive(messageId: number): () => void {
    const entry = { messageId, done: false };
    this.waiting.push(entry);
    return () => {
      entry.done = true;
      while (this.waiting[0]?.done) {
        const head = this.waiting.shift();
        if (head) this.sendAck(head.messageId);
      }
    };
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** The connection is gone: its unacknowledged messages come again on the next one. */
  reset(): void {
    this.waiting.length = 0;
  }
}
