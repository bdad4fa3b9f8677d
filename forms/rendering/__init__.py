"""Files generated from a form version: the Excel template and the printable form."""
