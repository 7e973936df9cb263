import { ResourceVersion } from './resource-version.tsx';

/** `/<ResourceType>/<id>/_history/<versionId>` (the folder is `%5Fhistory`: Next keeps `_folders` private). */
export default function ResourceVersionPage() {
  return <ResourceVersion />;
}
