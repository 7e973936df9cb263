'use client';

import { Alert, Anchor, Badge, Button, Card, Group, Loader, Select, Stack, Table, Text, Title } from '@mantine/core';
import { showNotification } from '@mantine/notifications';
import { formatDateTime, formatObservationValue, getReferenceString, normalizeErrorString } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { CodeableConceptDisplay, ResourceAvatar, ResourceName, useMedplum, useResource } from '@medplum/react';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import {
  type LabTest,
  loadLabTests,
  loadOrdersWithResults,
  type OrderWithResults,
  orderLabTest,
} from '../../../../lib/lab.ts';
import { orderDisplayStatus } from '../../../../lib/order-status.ts';

/** How often the order list is re-read while the page is open (results arrive from the device asynchronously). */
const POLL_MS = 3000;

export function PatientDetail() {
  const { id } = useParams<{ id: string }>();
  const patient = useResource<Patient>({ reference: `Patient/${id}` });
  if (!patient) {
    return (
      <Group>
        <Loader size="sm" />
        <Text>Loading patient…</Text>
      </Group>
    );
  }
  return (
    <Stack maw={960}>
      <Card withBorder padding="lg">
        <Group>
          <ResourceAvatar value={patient} size="lg" radius="xl" />
          <Stack gap={0}>
            <Title order={2} size="h3" data-testid="patient-name">
              <ResourceName value={patient} />
            </Title>
            <Text size="sm" c="dimmed">
              {[patient.gender, patient.birthDate && `born ${patient.birthDate}`, getReferenceString(patient)]
                .filter(Boolean)
                .join(' · ')}
            </Text>
          </Stack>
          <Anchor component={Link} href={`/patients/${id}/activity`} ml="auto" data-testid="activity-link">
            Activity: who did what
          </Anchor>
        </Group>
      </Card>
      <LabOrders patient={patient} />
    </Stack>
  );
}

function LabOrders({ patient }: { patient: Patient }) {
  const medplum = useMedplum();
  // The published catalogue (apps/catalog-pipeline), read once; the first test is preselected.
  const [tests, setTests] = useState<LabTest[]>([]);
  const [testCode, setTestCode] = useState<string | null>(null);
  const [ordering, setOrdering] = useState(false);
  const [orders, setOrders] = useState<OrderWithResults[]>();
  const [error, setError] = useState<string>();

  const reload = useCallback(async () => {
    try {
      setOrders(await loadOrdersWithResults(medplum, patient));
      setError(undefined);
    } catch (err) {
      setError(normalizeErrorString(err));
    }
  }, [medplum, patient]);

  useEffect(() => {
    loadLabTests(medplum)
      .then((loaded) => {
        setTests(loaded);
        setTestCode((current) => current ?? loaded[0]?.code ?? null);
      })
      .catch((err: unknown) => setError(normalizeErrorString(err)));
  }, [medplum]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.visibilityState === 'visible') await reload();
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    tick().catch(() => undefined);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [reload]);

  // Undefined until the catalogue has loaded (or when it is empty): the button stays disabled, never a silent no-op.
  const selected = tests.find((candidate) => candidate.code === testCode);
  const onOrder = async (test: LabTest) => {
    setOrdering(true);
    try {
      const order = await orderLabTest(medplum, patient, test);
      showNotification({ color: 'green', message: `Ordered ${test.display} (ServiceRequest/${order.id})` });
      await reload();
    } catch (err) {
      showNotification({ color: 'red', title: 'Order failed', message: normalizeErrorString(err) });
    } finally {
      setOrdering(false);
    }
  };

  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb="sm">
        Lab orders
      </Title>
      <Group align="flex-end" mb="md">
        <Select
          label="Test"
          data={tests.map((test) => ({ value: test.code, label: test.display }))}
          placeholder={tests.length === 0 ? 'No published lab catalogue' : undefined}
          value={testCode}
          onChange={setTestCode}
          allowDeselect={false}
          w={360}
        />
        <Button onClick={() => selected && onOrder(selected)} loading={ordering} disabled={!selected}>
          Order lab test
        </Button>
      </Group>
      <Text size="xs" c="dimmed" mb="sm">
        The order is a ServiceRequest addressed to the analyzer Device; Medplum notifies the device by webhook, and its
        results appear below as they arrive (this list refreshes every {POLL_MS / 1000} s).
      </Text>
      {error && (
        <Alert color="red" mb="sm">
          {error}
        </Alert>
      )}
      {!orders ? (
        <Loader size="sm" />
      ) : orders.length === 0 ? (
        <Text c="dimmed">No lab orders yet.</Text>
      ) : (
        <Stack data-testid="lab-orders">
          {orders.map((entry) => (
            <OrderCard key={entry.order.id} entry={entry} />
          ))}
        </Stack>
      )}
    </Card>
  );
}

function OrderCard({ entry }: { entry: OrderWithResults }) {
  const { order, reports, observations } = entry;
  const report = reports[0];
  const shown = orderDisplayStatus(order, reports);
  return (
    <Card withBorder padding="sm" data-testid="lab-order" data-order-id={order.id}>
      <Group justify="space-between">
        <Text fw={600}>
          <CodeableConceptDisplay value={order.code} />
        </Text>
        <Group gap="xs">
          <Badge
            variant="light"
            color={shown.status === 'completed' ? 'green' : undefined}
            data-testid="order-status"
            title={shown.derived ? `The order is ${order.status}; its report is released` : undefined}
          >
            order {shown.status}
          </Badge>
          {report ? (
            <Badge color="green" data-testid="report-status">
              report {report.status}
            </Badge>
          ) : (
            <Badge color="gray" variant="outline" data-testid="report-status">
              awaiting results
            </Badge>
          )}
        </Group>
      </Group>
      <Text size="xs" c="dimmed">
        Ordered {formatDateTime(order.authoredOn)}
        {order.requester && (
          <>
            {' by '}
            <ResourceName value={order.requester} />
          </>
        )}
        {order.performer?.[0] && (
          <>
            {' · performer '}
            {order.performer[0].display ?? <ResourceName value={order.performer[0]} />}
          </>
        )}
        {' · '}
        <Anchor component={Link} href={`/ServiceRequest/${order.id}`} size="xs">
          history
        </Anchor>
      </Text>
      {report?.conclusion && <Text size="sm">{report.conclusion}</Text>}
      {observations.length > 0 && (
        <Table mt="xs" data-testid="results">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Result</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th>Interpretation</Table.Th>
              <Table.Th>Issued</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {observations.map((observation) => (
              <Table.Tr key={observation.id}>
                <Table.Td>
                  <CodeableConceptDisplay value={observation.code} />
                </Table.Td>
                <Table.Td>{formatObservationValue(observation)}</Table.Td>
                <Table.Td>
                  {observation.interpretation?.map((item) => (
                    <CodeableConceptDisplay key={JSON.stringify(item)} value={item} />
                  ))}
                </Table.Td>
                <Table.Td>{formatDateTime(observation.issued ?? observation.effectiveDateTime)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
