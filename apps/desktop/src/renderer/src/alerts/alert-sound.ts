/**
 * The critical-alarm tone: two short beeps made with Web Audio, so the browser console and the desktop app sound
 * alike without an audio file. Browsers allow sound only after the operator has interacted with the page (the
 * sign-in counts); before that, or without Web Audio, it stays silent and the visual signals remain.
 */
let context: AudioContext | null = null;

const BEEP_S = 0.18;
const GAP_S = 0.12;
const PITCH_HZ = 880;

export function playCriticalTone(): void {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume().catch(() => undefined);
    const start = context.currentTime + 0.01;
    for (const offset of [0, BEEP_S + GAP_S]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = 'square';
      oscillator.frequency.value = PITCH_HZ;
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
