"""What people read: the emails Careline sends (`compose`: which, `emails`:
what each says), the pages it serves to browsers, the operators' views of
tickets, in the reader's language (`i18n`), laid out by the templates in
`templates/` (`render`). Views read the domain's values and decide nothing."""
