import { ResourceHistory } from './resource-history.tsx';

/** `/<ResourceType>/<id>`: where @medplum/react's links (MedplumLink to a resource) lead — its version history. */
export default function ResourcePage() {
  return <ResourceHistory />;
}
