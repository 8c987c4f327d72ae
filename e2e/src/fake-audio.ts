import type { BrowserContext } from 'playwright-core';

/** What the fake Web Audio recorded: one entry per oscillator started (a beep). */
export interface RecordedTone {
  readonly hz: number;
  readonly type: string;
  readonly at: number;
}

/**
 * Replaces Web Audio in every page of the context with a recorder (a headless browser has no sound device):
 * each oscillator started is pushed to `window.__tones` with its pitch, so a test counts beeps and tells tones
 * apart.
 */
export async function recordWebAudio(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const tones: { hz: number; type: string; at: number }[] = [];
    (window as unknown as { __tones: typeof tones }).__tones = tones;
    class FakeParam {
      value = 0;
      setValueAtTime(): this {
        return this;
      }
      exponentialRampToValueAtTime(): this {
        return this;
      }
    }
    class FakeNode {
      connect<T>(next?: T): T | this {
        return next ?? this;
      }
    }
    class FakeOscillator extends FakeNode {
      type = 'sine';
      readonly frequency = new FakeParam();
      start(): void {
        tones.push({ hz: this.frequency.value, type: this.type, at: Date.now() });
      }
      stop(): void {}
    }
    class FakeGain extends FakeNode {
      readonly gain = new FakeParam();
    }
    class FakeAudioContext {
      state = 'running';
      currentTime = 0;
      readonly destination = new FakeNode();
      resume(): Promise<void> {
        return Promise.resolve();
      }
      createOscillator(): FakeOscillator {
        return new FakeOscillator();
      }
      createGain(): FakeGain {
        return new FakeGain();
      }
    }
    (window as unknown as { AudioContext: unknown }).AudioContext = FakeAudioContext;
  });
}

export const recordedTones = (page: { evaluate<T>(fn: () => T): Promise<T> }): Promise<RecordedTone[]> =>
  page.evaluate(() => [...(window as unknown as { __tones: RecordedTone[] }).__tones]);
