/**
 * What a session may still owe after the password was right, in the order they are asked for: the second
 * factor of a user who has one, a new password where an administrator chose the current one, and enrolling a
 * second factor where the tenant requires one for the user's role. Until it is done, only that step's routes
 * (and /me, logout) answer; everything else is 403 `sign_in_incomplete`.
 */
export const signInSteps = ['second_factor', 'password_change', 'second_factor_enrolment'] as const;
export type SignInStep = (typeof signInSteps)[number];
