import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { AppRouter } from './lib/router.tsx';
import { SessionProvider } from './lib/session.tsx';
import './styles/base.css';
import './styles/controls.css';
import './styles/lists.css';
import './styles/screens.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // a refusal (4xx) will not change by asking again
      retry: (n, e) => n < 2 && !((e as unknown as { status?: number }).status! < 500),
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <AppRouter>
        <SessionProvider>
          <App />
        </SessionProvider>
      </AppRouter>
    </QueryClientProvider>
  </StrictMode>,
);
