import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { ApiError, api, type Session, setCsrfToken } from './api.ts';
import { ApiKeys } from './pages/ApiKeys.tsx';
import { ConversationView } from './pages/Conversation.tsx';
import { Conversations } from './pages/Conversations.tsx';
import { CredentialView } from './pages/Credential.tsx';
import { OpsConsole } from './pages/Ops.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { TaskView } from './pages/Task.tsx';
import { Tasks } from './pages/Tasks.tsx';
import { UsageView } from './pages/Usage.tsx';
import { WebhookEndpointView } from './pages/WebhookEndpoint.tsx';
import { Webhooks } from './pages/Webhooks.tsx';
import { ErrorState, Loading } from './states.tsx';

async function currentSession(): Promise<Session | null> {
  try {
    const session = await api<Session>('/v1/dashboard/session');
    setCsrfToken(session.csrfToken);
    return session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

const tenantNav = [
  ['/conversations', 'Conversations'],
  ['/tasks', 'Tasks'],
  ['/keys', 'API keys'],
  ['/webhooks', 'Webhooks'],
  ['/credential', 'Model credential'],
  ['/usage', 'Usage'],
] as const;

function Nav({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const [location, navigate] = useLocation();
  const signOut = useMutation({
    mutationFn: () => api('/v1/dashboard/session', { method: 'DELETE' }),
    onSettled: () => {
      setCsrfToken(null);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
      queryClient.setQueryData(['session'], null);
      navigate('/');
    },
  });
  const links = session.kind === 'ops' ? ([['/ops', 'Ops console']] as const) : tenantNav;
  return (
    <header className="top">
      <span className="brand">Warren</span>
      <nav aria-label="Main">
        <ul>
          {links.map(([href, label]) => (
            <li key={href}>
              <Link href={href} aria-current={location.startsWith(href) ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <span className="who">{session.kind === 'ops' ? 'ops' : session.tenantId}</span>
      <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        Sign out
      </button>
    </header>
  );
}

export function App() {
  const session = useQuery({ queryKey: ['session'], queryFn: currentSession });
  if (session.error) return <ErrorState error={session.error} />;
  if (session.isPending) return <Loading what="session" />;
  if (!session.data) return <SignIn />;
  const home = session.data.kind === 'ops' ? '/ops' : '/conversations';
  return (
    <>
      <Nav session={session.data} />
      <main>
        <Switch>
          {session.data.kind === 'ops' ? (
            <Route path="/ops" component={OpsConsole} />
          ) : (
            <>
              <Route path="/conversations" component={Conversations} />
              <Route path="/conversations/:id">{(params) => <ConversationView id={params.id} />}</Route>
              <Route path="/tasks" component={Tasks} />
              <Route path="/tasks/:id">{(params) => <TaskView id={params.id} />}</Route>
              <Route path="/keys" component={ApiKeys} />
              <Route path="/credential" component={CredentialView} />
              <Route path="/usage" component={UsageView} />
              <Route path="/webhooks" component={Webhooks} />
              <Route path="/webhooks/:id">{(params) => <WebhookEndpointView id={params.id} />}</Route>
            </>
          )}
          <Route>
            <Redirect to={home} replace />
          </Route>
        </Switch>
      </main>
    </>
  );
}
