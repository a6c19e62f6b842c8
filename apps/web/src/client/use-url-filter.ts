/*
 * A screen's filter lives in the URL (?client=198.18.0.2&state=established),
 * so a reload keeps it and a copied link opens the same view. Parameters
 * the screen does not own (the chart's ?range=) are kept as they are.
 */
'use client';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';

export type UrlFilter<Key extends string> = Partial<Record<Key, string>>;

export function useUrlFilter<Key extends string>(keys: readonly Key[]): [UrlFilter<Key>, (next: UrlFilter<Key>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const query = params.toString();
  /* One object per distinct query, so it can key a cached request. */
  // biome-ignore lint/correctness/useExhaustiveDependencies: query is the content of params
  const filter = useMemo(() => {
    const values: UrlFilter<Key> = {};
    for (const key of keys) {
      const value = params.get(key);
      if (value) values[key] = value;
    }
    return values;
  }, [query, keys]);
  const setFilter = useCallback(
    (next: UrlFilter<Key>) => {
      const updated = new URLSearchParams(query);
      for (const key of keys) {
        const value = next[key];
        if (value) updated.set(key, value);
        else updated.delete(key);
      }
      const search = updated.toString();
      router.replace(search ? `${pathname}?${search}` : pathname, { scroll: false });
    },
    [query, keys, router, pathname],
  );
  return [filter, setFilter];
}
