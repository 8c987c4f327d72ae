import type { QueuedAction } from './field-actions.ts';

/**
 * The offline queue in IndexedDB: it outlives a reload, a closed tab and a phone that kills the browser, and keeps
 * photos as bytes (localStorage could not).
 */
const DB_NAME = 'tidewatch-field';
const STORE = 'actions';

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    request.onsuccess = () => {
      resolve(request.result);
    };
    request.onerror = () => {
      reject(request.error ?? new Error('IndexedDB did not open'));
    };
  });
}

let database: Promise<IDBDatabase> | null = null;

async function withStore<T>(
  mode: IDBTransactionMode,
  act: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  database ??= openDatabase();
  const db = await database;
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = act(transaction.objectStore(STORE));
    transaction.oncomplete = () => {
      resolve(request.result);
    };
    transaction.onerror = () => {
      reject(transaction.error ?? new Error('IndexedDB transaction failed'));
    };
  });
}

/** Every queued action, oldest first (the order they were asked for is the order they are applied in). */
export async function queuedActions(): Promise<QueuedAction[]> {
  const all = await withStore<unknown[]>('readonly', (store) => store.getAll());
  return (all as QueuedAction[]).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function putAction(action: QueuedAction): Promise<void> {
  await withStore('readwrite', (store) => store.put(action));
}

export async function removeAction(id: string): Promise<void> {
  await withStore('readwrite', (store) => store.delete(id));
}
