import type { AlertPriority } from '@tidewatch/shared';

/**
 * The annunciator's tones, made with Web Audio so the browser console and the desktop app sound alike without an
 * audio file: critical is a fast high double beep, high a single lower beep, so an operator tells them apart
 * without looking. Browsers allow sound only after the operator has interacted with the page (the sign-in
 * counts); before that, or without Web Audio, it stays silent and the visual signals remain.
 */
let context: AudioContext | null = null;

/** Priorities that sound, and how: pitch, beeps per sounding, and how often it repeats until silenced. */
export const tones: Readonly<
  Partial<Record<AlertPriority, { hz: number; beeps: number; repeatMs: number }>>
> = {
  critical: { hz: 880, beeps: 2, repeatMs: 4000 },
  high: { hz: 620, beeps: 1, repeatMs: 8000 },
};

const BEEP_S = 0.18;
const GAP_S = 0.12;

export function playTone(priority: AlertPriority): void {
  const tone = tones[priority];
  if (!tone) return;
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume().catch(() => undefined);
    const start = context.currentTime + 0.01;
    for (let beep = 0; beep < tone.beeps; beep += 1) {
      const offset = beep * (BEEP_S + GAP_S);
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = priority === 'critical' ? 'square' : 'sine';
      oscillator.frequency.value = tone.hz;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + BEEP_S);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + BEEP_S + 0.02);
    }
  } catch {
    // No audio device or no Web Audio: the notification and the blinking row still tell.
  }
}
