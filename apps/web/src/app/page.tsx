import {
  Anchor,
  Badge,
  Card,
  Code,
  Container,
  Group,
  SimpleGrid,
  Stack,
  Table,
  TableTbody,
  TableTd,
  TableTr,
  Text,
  Title,
} from '@mantine/core';
import { LiveStory } from '../components/live-story.tsx';
import { env } from '../env.ts';

const medplum = env.NEXT_PUBLIC_MEDPLUM_BASE_URL;
const idp = new URL(env.NEXT_PUBLIC_IDP_AUTHORIZE_URL).origin;

const patterns = [
  {
    title: '1. Client side — this app',
    badge: 'apps/web',
    text: 'The browser signs the user in to Medplum (PKCE, no secret) and calls the FHIR API directly with @medplum/react. Tokens live in the browser (localStorage); refresh keeps the user signed in.',
    link: { href: '/signin', label: 'Sign in to the web app' },
  },
  {
    title: '2. Server side — the proxy',
    badge: 'apps/proxy',
    text: "A legacy clinic app's users sign in to the proxy itself. The proxy holds a confidential ClientApplication's secret and calls Medplum on behalf of each user; the browser never sees a Medplum token.",
    link: { href: env.NEXT_PUBLIC_PROXY_URL, label: "Open the proxy's legacy app" },
  },
  {
    title: '3. Device — the lab analyzer',
    badge: 'apps/device',
    text: 'A machine with its own tightly scoped credentials (client credentials, Basic fallback or private_key_jwt). It receives lab orders from Medplum by signed webhook and posts results back.',
    link: { href: env.NEXT_PUBLIC_DEVICE_URL, label: "Open the device's status page" },
  },
];

const parts = [
  { name: 'Web app (this app)', url: 'http://localhost:3000/', note: 'pattern 1' },
  { name: 'Legacy app via the proxy', url: env.NEXT_PUBLIC_PROXY_URL, note: 'pattern 2' },
  { name: 'Device status page', url: env.NEXT_PUBLIC_DEVICE_URL, note: 'pattern 3' },
  { name: 'Medplum (local emulator)', url: medplum, note: 'FHIR API, OAuth 2.0 and sign-in page' },
  {
    name: 'Medplum discovery document',
    url: new URL('.well-known/openid-configuration', medplum).toString(),
    note: 'endpoints and signing keys',
  },
  { name: 'Acme SSO (external identity provider)', url: `${idp}/.well-known/openid-configuration`, note: 'OIDC' },
];

export default function LandingPage() {
  return (
    <Container size="lg" py="xl">
      <Stack gap="lg">
        <div>
          <Title order={1}>Medplum integration patterns</Title>
          <Text c="dimmed" mt="xs">
            Three ways to connect to Medplum, each running here against one local Medplum-compatible server. Start with
            the web app: sign in three ways, open a patient and order a lab test; the device runs it and the results
            appear here.
          </Text>
        </div>
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          {patterns.map((pattern) => (
            <Card key={pattern.title} withBorder padding="lg">
              <Group justify="space-between" mb="xs">
                <Title order={3} size="h4">
                  {pattern.title}
                </Title>
              </Group>
              <Badge variant="light" mb="sm">
                {pattern.badge}
              </Badge>
              <Text size="sm" mb="md">
                {pattern.text}
              </Text>
              <Anchor href={pattern.link.href}>{pattern.link.label} →</Anchor>
            </Card>
          ))}
        </SimpleGrid>
        <LiveStory />
        <Card withBorder padding="lg">
          <Title order={2} size="h4" mb="sm">
            Every running part
          </Title>
          <Table>
            <TableTbody>
              {parts.map((part) => (
                <TableTr key={part.name}>
                  <TableTd>{part.name}</TableTd>
                  <TableTd>
                    <Anchor href={part.url}>{part.url}</Anchor>
                  </TableTd>
                  <TableTd>
                    <Text size="sm" c="dimmed">
                      {part.note}
                    </Text>
                  </TableTd>
                </TableTr>
              ))}
            </TableTbody>
          </Table>
          <Text size="sm" c="dimmed" mt="sm">
            The development sign-in (email and password) is printed by <Code>pnpm dev</Code> and listed in{' '}
            <Code>.env.example</Code>.
          </Text>
        </Card>
      </Stack>
    </Container>
  );
}
