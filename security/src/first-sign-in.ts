import type { ApiClient } from './api-client.ts';

/**
 * Signs a user an admin created in with the temporary password and replaces it, as such a user must before
 * anything else answers: the access token it resolves with may then do whatever the user's role may.
 */
export async function firstSignIn(
  api: ApiClient,
  email: string,
  temporary: string,
  chosen = `${temporary} of my own`,
): Promise<string> {
  const { accessToken } = await api.login(email, temporary);
  await api.expect(200, 'POST', '/api/v1/me/password', {
    token: accessToken,
    body: { currentPassword: temporary, newPassword: chosen },
  });
  return accessToken;
}
