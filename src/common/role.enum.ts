export enum Role {
  User = 'user',
  Producer = 'producer',
  SuperAdmin = 'superadmin',
}
