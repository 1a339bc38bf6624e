// placeholder {{VERSION}}
