export const TEMPLATE_DATABASE = 'warren_template';
export const TEST_APP_ROLE = 'warren_test';

export interface TestPostgres {
  superuserUrl: string;
  appPassword: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: TestPostgres;
  }
}
