import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.ts';

const owner = { email: 'Priya.Supervisor@utility.example', displayName: 'Priya Supervisor' };
const refused = (password: string) => passwordProblem(password, owner) !== null;

describe('password policy', () => {
  it('asks for 12 characters, counted as characters, with no composition rules', () => {
    expect(passwordProblem('short pass', owner)).toMatch(/at least 12/);
    expect(refused('glacier tuesday')).toBe(false);
    expect(refused('jalrang sadak')).toBe(false);
    // Twelve code points, more UTF-16 units: long enough.
    expect(refused('पानी की टंकी')).toBe(false);
    expect(refused('💧🌊 high tide at dawn')).toBe(false);
    expect(passwordProblem('x'.repeat(1025), owner)).toMatch(/at most 1024/);
  });

  it('refuses common passwords of 12 and more characters, and decorated or repeated common ones', () => {
    for (const password of [
      'qwertyuiop12',
      '1q2w3e4r5t6y',
      'iloveyou1234',
      'Password2024!',
      '!!monkey!!2024',
      'dragondragon',
      'aaaaaaaaaaaa',
      '123123123123',
    ]) {
      expect(refused(password), password).toBe(true);
    }
  });

  it('refuses the user’s own e-mail, its local part, their name and the product’s name', () => {
    expect(refused('priya.supervisor@utility.example')).toBe(true);
    expect(refused('Priya.Supervisor')).toBe(true);
    expect(refused('priya checks the tanks')).toBe(false);
    expect(refused('priya supervisor')).toBe(true);
    expect(refused('Tidewatch2026!')).toBe(true);
    expect(refused('priya.supervisor2026')).toBe(true);
  });
});
