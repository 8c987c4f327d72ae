export { freePort } from '@tidewatch/server/testing/ports';
