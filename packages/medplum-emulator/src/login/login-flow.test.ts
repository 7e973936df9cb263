import { describe, expect, it } from 'vitest';
import { isScopeSubset } from './login-flow.ts';

describe('isScopeSubset', () => {
  it('accepts the same scopes, fewer scopes, and no widening', () => {
    expect(isScopeSubset('openid profile', 'openid profile')).toBe(true);
    expect(isScopeSubset('openid profile email', 'openid')).toBe(true);
    expect(isScopeSubset('openid profile', 'openid offline_access')).toBe(false);
  });

  it('treats v1 permissions as their v2 letters', () => {
    expect(isScopeSubset('patient/Condition.crs', 'patient/Condition.read')).toBe(true);
    expect(isScopeSubset('patient/Condition.read', 'patient/Condition.rs')).toBe(true);
    expect(isScopeSubset('patient/Condition.read', 'patient/Condition.c')).toBe(false);
    expect(isScopeSubset('user/*.*', 'user/Observation.cruds')).toBe(true);
    expect(isScopeSubset('user/Observation.rs', 'patient/Observation.rs')).toBe(false);
  });

  it('allows adding query constraints, never dropping or changing them', () => {
    expect(isScopeSubset('patient/Condition.rs', 'patient/Condition.rs?category=health-concern')).toBe(true);
    expect(
      isScopeSubset('patient/Condition.rs?encounter=Encounter/1', 'patient/Condition.rs?category=health-concern')
    ).toBe(false);
    expect(isScopeSubset('patient/Condition.rs?category=a', 'patient/Condition.rs?category=a&code=b')).toBe(true);
  });
});
