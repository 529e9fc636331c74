# Server tests are defined here.
