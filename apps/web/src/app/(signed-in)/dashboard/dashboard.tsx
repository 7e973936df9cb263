'use client';

import { Anchor, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { formatDate, getReferenceString } from '@medplum/core';
import { OperationOutcomeAlert, ResourceAvatar, ResourceName, useSearchResources } from '@medplum/react';
import Link from 'next/link';
import { WhoAmI } from '../../../components/who-am-i.tsx';

export function Dashboard() {
  const [patients, loading, outcome] = useSearchResources('Patient', { _count: '50', _sort: '-_lastUpdated' });
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
      <WhoAmI />
      <Card withBorder padding="lg">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            Patients
          </Title>
          <Button component={Link} href="/patients/new" size="xs">
            New patient
          </Button>
        </Group>
        {outcome && outcome.id !== 'ok' && <OperationOutcomeAlert outcome={outcome} />}
        {loading && !patients ? (
          <Text c="dimmed">Loading…</Text>
        ) : (
          <Table highlightOnHover data-testid="patient-list">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Born</Table.Th>
                <Table.Th>Gender</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(patients ?? []).map((patient) => (
                <Table.Tr key={getReferenceString(patient)}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <ResourceAvatar value={patient} size="sm" radius="xl" />
                      <Anchor component={Link} href={`/patients/${patient.id}`}>
                        <ResourceName value={patient} />
                      </Anchor>
                    </Group>
                  </Table.Td>
                  <Table.Td>{formatDate(patient.birthDate)}</Table.Td>
                  <Table.Td>{patient.gender}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {patients?.length === 0 && (
          <Stack align="center" py="md">
            <Text c="dimmed">No patients yet.</Text>
          </Stack>
        )}
      </Card>
    </SimpleGrid>
  );
}
