import { ActivityView } from './activity-view.tsx';

export default function ActivityPage() {
  return <ActivityView />;
}
