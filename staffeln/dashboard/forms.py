"""What the dashboard's forms share: staffeln-api's refusals shown as
Horizon's inline form errors, on the field they are about."""

from horizon import forms

from staffeln.dashboard import client


class ApiForm(forms.SelfHandlingForm):
    """A form whose ``handle`` calls staffeln-api through :meth:`call`."""

    #: API field name -> form field name, where they differ.
    api_fields: dict = {}

    def call(self, function, *args, **kwargs):
        """``function(...)``'s answer, or None with the refusal shown.

        A reason that names a field of the form goes on that field; any
        other (a clash, a refusal by Cinder, an API that did not answer in
        time) goes on top of the form. The page is never an error page:
        the user fixes the input, or waits, and submits again.
        """
        try:
            return function(*args, **kwargs)
        except client.ApiError as exc:
            field = self.api_fields.get(exc.field, exc.field)
            if field in self.fields:
                self.add_error(field, exc.field_message)
            else:
                self.api_error(exc.message)
            return None
