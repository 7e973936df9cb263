'use client';

import { Card, Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { normalizeOperationOutcome } from '@medplum/core';
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { Form, OperationOutcomeAlert, SubmitButton, useMedplum } from '@medplum/react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';

export function buildPatient(fields: Record<string, string>): Patient {
  const given = (fields.given ?? '').trim();
  const family = (fields.family ?? '').trim();
  return {
    resourceType: 'Patient',
    active: true,
    name: [{ given: given ? given.split(/\s+/) : [], family }],
    ...(fields.gender ? { gender: fields.gender as Patient['gender'] } : {}),
    ...(fields.birthDate ? { birthDate: fields.birthDate } : {}),
  };
}

export function NewPatient() {
  const medplum = useMedplum();
  const router = useRouter();
  const [outcome, setOutcome] = useState<OperationOutcome>();

  const onSubmit = (fields: Record<string, string>) => {
    setOutcome(undefined);
    medplum
      .createResource(buildPatient(fields))
      .then((patient) => router.push(`/patients/${patient.id}`))
      .catch((err: unknown) => setOutcome(normalizeOperationOutcome(err)));
  };

  return (
    <Card withBorder padding="lg" maw={560}>
      <Title order={2} size="h4" mb="md">
        New patient
      </Title>
      <Form onSubmit={onSubmit}>
        <Stack>
          {outcome && <OperationOutcomeAlert outcome={outcome} />}
          <Group grow>
            <TextInput name="given" label="Given name" required />
            <TextInput name="family" label="Family name" required />
          </Group>
          <Group grow>
            <Select
              name="gender"
              label="Gender"
              data={['female', 'male', 'other', 'unknown']}
              allowDeselect
              comboboxProps={{ withinPortal: true }}
            />
            <TextInput name="birthDate" label="Birth date" type="date" />
          </Group>
          <Group justify="flex-end">
            <SubmitButton>Create patient</SubmitButton>
          </Group>
        </Stack>
      </Form>
    </Card>
  );
}
