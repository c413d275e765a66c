import { expect, test } from '@playwright/test';

test('the dashboard loads and says when no node is connected', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'OpenGateway' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Not connected');
});
