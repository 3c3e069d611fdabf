import { Page } from '../components/page.tsx';

export default function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        Nothing lives at this address. Go to the <a href="/">overview</a>.
      </p>
    </Page>
  );
}
