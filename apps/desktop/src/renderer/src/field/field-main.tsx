// First: schemas must not probe for eval, which the content security policy refuses.
import '../zod-without-eval.ts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from '../api/api-error.ts';
import { FieldApp } from './field-app.tsx';
import '../styles/console.css';
import './field.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
      // Offline, the last answer stays on screen rather than a spinner.
      networkMode: 'offlineFirst',
    },
  },
});

// The service worker keeps the app shell, so the app opens with no connection at all.
if ('serviceWorker' in navigator) {
  void navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch(() => undefined);
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <FieldApp />
    </QueryClientProvider>
  </StrictMode>,
);
