import type { QueuedPhoto } from './field-actions.ts';

/** The chosen files as bytes, so they survive in IndexedDB until the phone is online again. */
export async function photosOf(files: FileList | null): Promise<QueuedPhoto[]> {
  return Promise.all(
    [...(files ?? [])].map(async (file) => ({ name: file.name || 'photo', bytes: await file.arrayBuffer() })),
  );
}

/** A preview of bytes as a data: URL (the content security policy admits data: images, not blob:). */
export function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      resolve(typeof reader.result === 'string' ? reader.result : '');
    };
    reader.onerror = () => {
      reject(reader.error ?? new Error('The photo could not be read'));
    };
    reader.readAsDataURL(blob);
  });
}
