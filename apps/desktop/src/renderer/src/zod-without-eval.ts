import { z } from 'zod';

// The console's content security policy forbids eval. zod would probe for it with `new Function` (each probe a
// CSP violation report) before falling back to what jitless parsing does anyway.
z.config({ jitless: true });
