// PLACEHOLDER: replaced by the real page.
import { Page } from '../components/page.tsx';

export default function Placeholder() {
  return <Page title="skills" />;
}
