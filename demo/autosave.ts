// The run kept in the browser's own storage (IndexedDB), in the checkpoint format of the CLI and
// the Save button, so that a reload, a crash or a lost GPU costs at most the steps since the last
// autosave. One snapshot per origin: the newest run. Nothing leaves the machine.

export interface Snapshot {
  /** A .safetensors checkpoint (encodeCheckpoint). */
  bytes: Uint8Array;
  step: number;
  /** Date.now() when it was taken. */
  savedAt: number;
}

const DATABASE = 'webgpu-gan';
const STORE = 'runs';
const KEY = 'autosave';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = use(transaction.objectStore(STORE));
      // Resolved once the transaction commits, so a written snapshot is really on disk.
      transaction.oncomplete = () => resolve(request.result as T);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export function saveSnapshot(snapshot: Snapshot): Promise<void> {
  return withStore('readwrite', (store) => store.put(snapshot, KEY));
}

export async function loadSnapshot(): Promise<Snapshot | null> {
  const found = await withStore<Snapshot | undefined>('readonly', (store) => store.get(KEY));
  return found && found.bytes instanceof Uint8Array && Number.isInteger(found.step) ? found : null;
}

export function clearSnapshot(): Promise<void> {
  return withStore('readwrite', (store) => store.delete(KEY));
}
