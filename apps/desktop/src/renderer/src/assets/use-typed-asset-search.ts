import { useEffect, useState } from 'react';
import { useAssetSearch } from './asset-queries.ts';

/** Typing pauses this long before the server is asked. */
const SEARCH_DELAY_MS = 250;

/**
 * Assets whose code or name matches what the operator types, asked for once typing pauses. `asked` is the text
 * the answer is for: while it differs from the text typed, a newer answer is on its way.
 */
export function useTypedAssetSearch(text: string, limit?: number) {
  const [asked, setAsked] = useState('');
  useEffect(() => {
    const timer = window.setTimeout(() => {
      setAsked(text);
    }, SEARCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
    };
  }, [text]);
  return { asked, found: useAssetSearch(asked, limit) };
}
