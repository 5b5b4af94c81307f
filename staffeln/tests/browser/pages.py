"""A user at Horizon's pages: log in, open a panel, use a table and a
modal form, and wait for what the page shows (never for time)."""

from __future__ import annotations

import os

from selenium.common import exceptions as selenium_exc
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from staffeln.tests.browser import fixtures as browser_fixtures


class User:
    """One browser, at one Horizon."""

    def __init__(self, driver, url: str, screenshots: str):
        self.driver = driver
        self.url = url
        self.screenshots = screenshots

    def wait(self, condition, timeout=browser_fixtures.PAGE_TIMEOUT):
        return WebDriverWait(self.driver, timeout).until(condition)

    def find(self, css: str):
        return self.wait(ec.presence_of_element_located(
            (By.CSS_SELECTOR, css)))

    def visible(self, css: str):
        return self.wait(ec.visibility_of_element_located(
            (By.CSS_SELECTOR, css)))

    def all(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        self.wait(ec.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)
        self.find('body')

    def screenshot(self, name: str) -> str:
        path = os.path.join(self.screenshots, f'{name}.png')
        self.driver.save_screenshot(path)
        return path

    def login(self, username: str, password: str) -> None:
        self.open('/auth/login/')
        self.find('#id_username').send_keys(username)
        self.find('#id_password').send_keys(password)
        self.click('#loginBtn')
        self.wait(lambda d: '/auth/login' not in d.current_url)
        self.find('#navbar-collapse, .navbar')

    def logout(self) -> None:
        """Sign out through the user menu."""
        self.click('.user-menu .dropdown-toggle')
        self.click('.user-menu form[action$="/auth/logout/"] button')
        self.find('#id_username')

    def text(self, css: str = 'body') -> str:
        return self.find(css).text

    def filter_table(self, table: str, field: str, value: str) -> None:
        """Horizon's server-side table filter: choose the field, type."""
        self.click(f'#{table} .table_search .dropdown-toggle')
        self.click(f'#{table} .table_search a[data-select-value="{field}"]')
        box = self.find(f'#{table} input[name="{table}__filter__q"]')
        box.clear()
        box.send_keys(value)
        self.click(f'#{table} .table_search button[type="submit"]')
        self.find(f'#{table}')

    def row_action(self, table: str, row_id: str, action: str) -> None:
        """Click a row's action, opening its drop-down menu if need be."""
        button = f'#{table}__row_{row_id}__action_{action}'
        try:
            self.driver.find_element(By.CSS_SELECTOR, button)
            if not self.driver.find_element(By.CSS_SELECTOR,
                                            button).is_displayed():
                raise selenium_exc.ElementNotVisibleException(button)
        except (selenium_exc.NoSuchElementException,
                selenium_exc.ElementNotVisibleException):
            self.click(f'#{table}__row__{row_id} .dropdown-toggle, '
                       f'tr[data-object-id="{row_id}"] .dropdown-toggle')
        self.click(button)

    def confirm_if_asked(self) -> None:
        """Horizon asks before some batch actions; say yes."""
        modals = self.all('.modal.in .btn-primary, .modal.in .btn-danger')
        if modals:
            modals[0].click()

    def modal_form(self):
        return self.visible('.modal.in form, form.ajax-modal, '
                            '.modal-dialog form')

    def submit_modal(self) -> None:
        """Click the modal form's submit button."""
        [button] = [b for b in self.all('.modal-footer .btn-primary')
                    if b.is_displayed()]
        button.click()

    def field_errors(self) -> dict:
        """Field name -> its inline error, in the modal form shown."""
        errors = {}
        for group in self.all('.modal .form-group.has-error'):
            inputs = group.find_elements(By.CSS_SELECTOR,
                                         'input, select, textarea')
            help_block = group.find_elements(By.CSS_SELECTOR,
                                             '.help-block, .error')
            if inputs:
                errors[inputs[0].get_attribute('name')] = \
                    ' '.join(h.text for h in help_block)
        return errors

    def form_errors(self) -> str:
        return ' '.join(e.text for e in self.all(
            '.modal .alert-danger, .modal .error'))
